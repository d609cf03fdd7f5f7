package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.node.adapt.CurvePoint;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.junit.jupiter.api.Test;

/** The curves written by adapt and train read well for short runs and resumed ones. */
class CurvePlotTest {

  private static XYPlot plot(List<CurvePoint> curve) {
    JFreeChart chart = CurvePlot.chart("t", "epoch", curve);
    return chart.getXYPlot();
  }

  @Test
  void aTwoEpochRunSpansItsDataAndMarksItsPoints() {
    XYPlot plot = plot(List.of(new CurvePoint(1, 1.2, 1.1, 0.5), new CurvePoint(2, 0.8, 0.9, 0.7)));
    ValueAxis x = plot.getDomainAxis();
    assertTrue(x.getLowerBound() > 0.8 && x.getLowerBound() <= 1, "starts where the data does, not at 0: " + x.getRange());
    assertTrue(x.getUpperBound() >= 2 && x.getUpperBound() < 2.2, x.getRange().toString());
    for (int r = 0; r < 2; r++) {
      XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer(r);
      assertTrue(renderer.getDefaultShapesVisible(), "points are marked on a short run");
    }
    assertEquals(0, plot.getRangeAxis(1).getLowerBound(), "accuracy keeps its 0..1 scale");
    assertEquals(1, plot.getRangeAxis(1).getUpperBound());
  }

  @Test
  void aResumedRunStartsAtItsFirstEpochAndALongRunIsALine() {
    List<CurvePoint> resumed = new ArrayList<>();
    for (int e = 41; e <= 140; e++) {
      resumed.add(new CurvePoint(e, 1.0 / e, 1.0 / e, 0.9));
    }
    XYPlot plot = plot(resumed);
    assertTrue(plot.getDomainAxis().getLowerBound() > 35, plot.getDomainAxis().getRange().toString());
    assertFalse(((XYLineAndShapeRenderer) plot.getRenderer(0)).getDefaultShapesVisible(), "100 markers would merge into a smear");
  }

  @Test
  void aSinglePointGetsAnAxisAroundIt() {
    XYPlot plot = plot(List.of(new CurvePoint(0, Double.NaN, 1.0, 0.3)));
    ValueAxis x = plot.getDomainAxis();
    assertTrue(x.getLowerBound() < 0 && x.getUpperBound() > 0 && x.getRange().getLength() >= 1, x.getRange().toString());
  }
}
