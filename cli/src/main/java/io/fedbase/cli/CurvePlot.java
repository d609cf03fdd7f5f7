package io.fedbase.cli;

import io.fedbase.node.adapt.CurvePoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws an adaptation curve (loss on the left axis, held-out accuracy on the right) with JFreeChart. */
public final class CurvePlot {

  /** Beyond this many points per series the markers would merge into a thick line. */
  public static final int MARKED_POINTS_AT_MOST = 60;

  private CurvePlot() {}

  public static void write(Path png, String title, List<CurvePoint> curve) throws IOException {
    write(png, title, "step", curve);
  }

  /** The same chart with {@code xLabel} on the horizontal axis (e.g. "epoch"). */
  public static void write(Path png, String title, String xLabel, List<CurvePoint> curve) throws IOException {
    System.setProperty("java.awt.headless", "true");
    ChartUtils.saveChartAsPNG(png.toFile(), chart(title, xLabel, curve), 900, 500);
  }

  /**
   * The chart itself. The horizontal axis spans the data (a resumed or short run does not start at
   * 0), with whole-number ticks; points are marked while there are few enough to tell apart, so a
   * 2-epoch run still reads as two measurements.
   */
  public static JFreeChart chart(String title, String xLabel, List<CurvePoint> curve) {
    XYSeries train = new XYSeries(xLabel.equals("step") ? "minibatch loss" : "training loss");
    XYSeries heldLoss = new XYSeries("held-out loss");
    XYSeries heldAcc = new XYSeries("held-out accuracy");
    for (CurvePoint p : curve) {
      if (!Double.isNaN(p.trainLoss())) {
        train.add(p.step(), p.trainLoss());
      }
      if (!Double.isNaN(p.heldOutLoss())) {
        heldLoss.add(p.step(), p.heldOutLoss());
        heldAcc.add(p.step(), p.heldOutAccuracy());
      }
    }
    boolean markPoints = Math.max(train.getItemCount(), heldLoss.getItemCount()) <= MARKED_POINTS_AT_MOST;
    XYSeriesCollection losses = new XYSeriesCollection();
    losses.addSeries(train);
    losses.addSeries(heldLoss);
    XYPlot plot = new XYPlot(losses, stepAxis(xLabel), new NumberAxis("cross-entropy"), lines(markPoints, Color.GRAY, Color.BLUE));
    NumberAxis accuracyAxis = new NumberAxis("held-out accuracy");
    accuracyAxis.setRange(0, 1);
    plot.setRangeAxis(1, accuracyAxis);
    plot.setDataset(1, new XYSeriesCollection(heldAcc));
    plot.mapDatasetToRangeAxis(1, 1);
    plot.setRenderer(1, lines(markPoints, new Color(0, 140, 0)));
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static NumberAxis stepAxis(String label) {
    NumberAxis axis = new NumberAxis(label);
    axis.setAutoRangeIncludesZero(false);
    axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    // a single point still gets an axis around it rather than a zero-width one
    axis.setAutoRangeMinimumSize(1);
    return axis;
  }

  private static XYLineAndShapeRenderer lines(boolean markPoints, Color... colors) {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, markPoints);
    for (int i = 0; i < colors.length; i++) {
      r.setSeriesPaint(i, colors[i]);
      r.setSeriesStroke(i, new BasicStroke(1.5f));
    }
    return r;
  }
}
