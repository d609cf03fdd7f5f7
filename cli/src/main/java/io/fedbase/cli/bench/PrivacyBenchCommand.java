package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.HeldOutRun;
import io.fedbase.cli.option.HeldOutOptions;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.learn.PairedStats;
import io.fedbase.privacy.PrivacyLedger;
import io.fedbase.privacy.PrivacySpent;
import io.fedbase.privacy.PrivateMean;
import io.fedbase.space.SupernetSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench privacy}: what client-level DP costs the prior. Meta-trains one prior without DP
 * and one per noise multiplier, each task of a round standing for one node (clipped, counted alike,
 * Gaussian noise on the sum — the central mechanism), with ε accounted as if the round's nodes were
 * drawn from {@code --population} nodes; then adapts every prior and fresh supernets to the same
 * held-out tasks. Prints one JSON line last.
 */
@Command(
    name = "privacy",
    mixinStandardHelpOptions = true,
    description = {
      "Differential privacy's cost: held-out accuracy at several noise multipliers.",
      "Meta-trains one prior per noise multiplier, reports its epsilon and adapts each to the same held-out tasks."
    })
public final class PrivacyBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;
  @Mixin BenchMetaTrainingOptions metaTraining;
  @Mixin HeldOutOptions heldOut;
  @Mixin BenchRunOptions run;

  @Option(names = "--noise", split = ",", defaultValue = "0.1,0.3,1.0", description = "Noise multipliers to compare with no DP (default: ${DEFAULT-VALUE}).")
  double[] noise;

  @Option(names = "--weight-clip", defaultValue = "1.0", description = "L2 bound of a delta's weight part (default: ${DEFAULT-VALUE}).")
  double weightClip;

  @Option(names = "--logit-clip", defaultValue = "0.1", description = "L2 bound of a delta's logit part (default: ${DEFAULT-VALUE}).")
  double logitClip;

  @Option(names = "--population", defaultValue = "10000", description = "Nodes the round's tasks are taken to be sampled from, for the sampling rate (default: ${DEFAULT-VALUE}).")
  int population;

  @Option(names = "--delta", defaultValue = "1e-5", description = "The delta epsilon is reported at (default: ${DEFAULT-VALUE}).")
  double delta;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command)
        .inputData("meta-training data", metaTraining.trainData, metaTraining.trainClasses)
        .inputData("held-out data", heldOut.testData, heldOut.testClasses);
    SupernetSpec spec = supernet.spec();
    double q = (double) metaTraining.tasksPerRound / population;
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("--population must be at least --tasks-per-round");
    }
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "privacy");
    json.addProperty("spec", spec.toString());
    json.addProperty("rounds", metaTraining.rounds);
    json.addProperty("nodes_per_round", metaTraining.tasksPerRound);
    json.addProperty("sampling_rate", q);
    json.addProperty("weight_clip", weightClip);
    json.addProperty("logit_clip", logitClip);
    json.addProperty("delta", delta);
    List<HeldOutComparison.Arm> arms = new ArrayList<>();
    JsonArray priors = new JsonArray();
    List<String> names = new ArrayList<>();
    try (NDManager root = run.device.newManager()) {
      Bundle plain = metaTraining.train(spec, inner.config(), AggregationRule.weightedMean(), run.seed, root, "meta-train no DP");
      arms.add(new HeldOutComparison.Arm("no-dp", t -> plain));
      names.add("no DP");
      priors.add(prior("no-dp", 0, Double.POSITIVE_INFINITY));
      for (double sigma : noise) {
        PrivateMean rule = new PrivateMean(weightClip, logitClip, sigma, new SplittableRandom(run.seed * 31 + Double.hashCode(sigma)));
        Bundle prior = metaTraining.train(spec, inner.config(), rule, run.seed, root, "meta-train sigma " + sigma);
        PrivacySpent spent = PrivacyLedger.empty().plus(q, sigma, metaTraining.rounds).spent(delta);
        String name = String.format(Locale.ROOT, "sigma-%s", sigma);
        arms.add(new HeldOutComparison.Arm(name, t -> prior));
        names.add(String.format(Locale.ROOT, "σ = %s (ε = %.3g)", sigma, spent.epsilon()));
        priors.add(prior(name, sigma, spent.epsilon()));
      }
      arms.add(new HeldOutComparison.Arm("scratch", t -> HeldOutComparison.withUniformLogits(ParameterInitializer.initialize(spec, run.seed * 7919 + t))));
      names.add("scratch");
      HeldOutComparison.Result result =
          HeldOutRun.run(
              spec, arms, heldOut.load(), heldOut.shape(spec.ways()), inner.config(), metaTraining.heldOutTau(), heldOut.tasks, heldOut.steps, run.seed, root);
      String table = table(names, result);
      System.out.println(table);
      json.add("priors", priors);
      json.add("results", rows(result));
      report.finish(json, run.out, table);
    }
    return 0;
  }

  private static JsonObject prior(String name, double sigma, double epsilon) {
    JsonObject o = new JsonObject();
    o.addProperty("arm", name);
    o.addProperty("noise_multiplier", sigma);
    o.addProperty("epsilon", Double.isFinite(epsilon) ? epsilon : -1);
    return o;
  }

  /** Accuracy per arm and step count, and each arm minus scratch (the last arm), paired per task. */
  private static String table(List<String> names, HeldOutComparison.Result r) {
    int scratch = r.arms().size() - 1;
    StringBuilder sb = new StringBuilder("| steps |");
    names.forEach(n -> sb.append(' ').append(n).append(" |"));
    for (int a = 0; a < scratch; a++) {
      sb.append(' ').append(names.get(a)).append(" − scratch |");
    }
    sb.append("\n|---|").append("---|".repeat(names.size() + scratch)).append('\n');
    for (int c = 0; c < r.steps().length; c++) {
      sb.append("| ").append(r.steps()[c]).append(" |");
      for (HeldOutComparison.ArmResult arm : r.arms()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", arm.meanAt(c)));
      }
      for (int a = 0; a < scratch; a++) {
        PairedStats d = r.difference(a, scratch, c);
        sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |", d.mean(), d.low(), d.high()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static JsonArray rows(HeldOutComparison.Result r) {
    int scratch = r.arms().size() - 1;
    JsonArray rows = new JsonArray();
    for (int c = 0; c < r.steps().length; c++) {
      JsonObject row = new JsonObject();
      row.addProperty("steps", r.steps()[c]);
      for (int a = 0; a < r.arms().size(); a++) {
        String name = r.arms().get(a).name().replace('-', '_').replace('.', '_');
        row.addProperty(name + "_accuracy", r.arms().get(a).meanAt(c));
        if (a < scratch) {
          PairedStats d = r.difference(a, scratch, c);
          row.addProperty(name + "_minus_scratch", d.mean());
          row.addProperty(name + "_minus_scratch_ci_low", d.low());
          row.addProperty(name + "_minus_scratch_ci_high", d.high());
        }
      }
      rows.add(row);
    }
    return rows;
  }
}
