package io.fedbase.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.BundleFormatException;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.train.DerivedModel;
import io.fedbase.node.train.DerivedTraining;
import io.fedbase.node.train.EpochRecord;
import io.fedbase.node.train.ModelFiles;
import io.fedbase.node.train.ModelLabels;
import io.fedbase.node.train.Predictions;
import io.fedbase.node.train.TrainingCheckpoint;
import io.fedbase.node.train.TrainingConfig;
import io.fedbase.space.InputSignature;
import io.fedbase.space.StemSpec;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.DerivedNetwork;
import io.fedbase.supernet.DerivedNetworkSpec;
import io.fedbase.supernet.RunningStatistics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains a small derived network on a Fashion-MNIST subset: learning, resume, model files. */
class DerivedTrainingTest {

  private static final Genotype GENOTYPE =
      DartsNotation.parse(
          "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('max_pool_3x3', 0), ('dil_conv_3x3', 2),"
              + " ('sep_conv_3x3', 1), ('skip_connect', 3)], normal_concat=range(2, 5),"
              + " reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 2), ('dil_conv_3x3', 0),"
              + " ('skip_connect', 0), ('sep_conv_3x3', 3)], reduce_concat=range(2, 5))");
  private static final TrainingConfig CONFIG = new TrainingConfig(3, 30, 0.05f, 0f, 0.9f, 3e-4f, 5f, 0.2f, 8, 7);

  private static ImageDataset data;
  private static LabelledImages.Split split;
  private static DerivedNetworkSpec spec;
  private static ModelLabels labels;

  @BeforeAll
  static void load() {
    data = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist:test")).select(ClassSelection.parse("1,7,8"));
    split = LabelledImages.split(data, 0.25, 60, 60, 3);
    InputSignature grey = data.signature();
    SupernetSpec frame =
        SupernetSpec.profileBuilder("small").setChannels(6).setStems(List.of(StemSpec.defaultFor(grey))).setWays(3).build();
    spec = new DerivedNetworkSpec(GENOTYPE, frame);
    labels = new ModelLabels(data.classes(), data.classNames().isEmpty() ? List.of() : List.of("Trouser", "Sneaker", "Bag"), data.normalization(), data.source());
  }

  private static final class Recorder implements DerivedTraining.Listener {
    final List<TrainingCheckpoint> checkpoints = new ArrayList<>();
    final int stopAfter;

    Recorder(int stopAfter) {
      this.stopAfter = stopAfter;
    }

    @Override
    public void step(int epoch, int step, int stepsPerEpoch, double meanLoss) {}

    @Override
    public void epochEnd(EpochRecord record, TrainingCheckpoint checkpoint) {
      checkpoints.add(checkpoint);
      if (checkpoint.epochsDone() == stopAfter) {
        throw new IllegalStateException("interrupted");
      }
    }
  }

  @Test
  void learnsTheClassesAndResumesExactlyWhereItStopped(@TempDir Path dir) throws IOException {
    DerivedTraining training = new DerivedTraining(spec, labels, CONFIG, "data=test");
    try (NDManager root = NDManager.newBaseManager()) {
      DerivedTraining.Result straight = training.run(split, null, root, new Recorder(-1));
      assertEquals(3, straight.history().size());
      EpochRecord last = straight.history().get(2);
      assertTrue(last.heldOutAccuracy() > 0.6, "3 easy classes (chance 1/3), 18 steps: held-out accuracy " + last.heldOutAccuracy());
      assertTrue(last.trainLoss() < straight.history().get(0).trainLoss(), "the training loss falls: " + straight.history());

      Recorder interrupted = new Recorder(1);
      assertThrows(IllegalStateException.class, () -> training.run(split, null, root, interrupted));
      ModelFiles.writeCheckpoint(dir, interrupted.checkpoints.get(0));
      TrainingCheckpoint saved = ModelFiles.readCheckpoint(dir);
      assertEquals(1, saved.epochsDone());
      DerivedTraining.Result resumed = training.run(split, saved, root, new Recorder(-1));
      assertEquals(straight.history().size(), resumed.history().size());
      assertArrayEquals(straight.model().weights().toArray(), resumed.model().weights().toArray(), 1e-5f, "a resumed run takes the same steps");
      assertArrayEquals(straight.model().statistics().toArray(), resumed.model().statistics().toArray(), 1e-5f);

      DerivedTraining other = new DerivedTraining(spec, labels, new TrainingConfig(4, 30, 0.05f, 0f, 0.9f, 3e-4f, 5f, 0.2f, 8, 7), "data=test");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.run(split, saved, root, new Recorder(-1)));
      assertTrue(e.getMessage().contains("other settings"), e.getMessage());

      ModelFiles.writeModel(dir, straight.model());
      DerivedModel loaded = ModelFiles.readModel(dir);
      assertEquals(spec.hash(), loaded.spec().hash());
      assertEquals(labels, loaded.labels());
      double before = Predictions.of(straight.model(), split.heldOut(), root).accuracy();
      assertEquals(before, Predictions.of(loaded, split.heldOut(), root).accuracy(), 0.0);
      assertEquals(last.heldOutAccuracy(), before, 1e-9, "the saved model scores what the last epoch reported");
    }
  }

  @Test
  void refusesDamagedAndMisnamedModelFiles(@TempDir Path dir) throws IOException {
    assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelFiles.readModel(dir));
    assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelFiles.readCheckpoint(dir));
    DerivedModel untrained;
    try (NDManager root = NDManager.newBaseManager()) {
      DerivedNetwork net = new DerivedNetwork(spec);
      untrained = new DerivedModel(spec, net.initialize(1), RunningStatistics.empty(root).toBundle(), labels);
    }
    ModelFiles.writeModel(dir, untrained);
    Path file = dir.resolve(ModelFiles.MODEL_FILE);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(file, bytes);
    assertThrows(BundleFormatException.class, () -> ModelFiles.readModel(dir));
    ModelFiles.writeCheckpoint(dir, new TrainingCheckpoint(untrained, java.util.Map.of(), 0, List.of(), "x"));
    BundleFormatException e = assertThrows(BundleFormatException.class, () -> ModelFiles.readModel(dir.resolve(ModelFiles.CHECKPOINT_FILE)));
    assertTrue(e.getMessage().contains("not a trained model"), e.getMessage());
  }
}
