package io.fedbase.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.data.DataException;
import io.fedbase.data.ImageDataset;
import io.fedbase.data.Normalization;
import io.fedbase.space.InputSignature;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskSamplerTest {

  /** 6 classes x 30 images of 1x2x2; pixel value = image index mod 256 so images are traceable. */
  private static ImageDataset dataset(int classes, int perClass) {
    int n = classes * perClass;
    byte[] px = new byte[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % classes;
      for (int k = 0; k < 4; k++) {
        px[i * 4 + k] = (byte) i;
      }
    }
    return new ImageDataset(
        "synthetic", new InputSignature(1, 2, 2), px, labels, new Normalization(new float[] {0f}, new float[] {1f}), List.of());
  }

  private final ImageDataset data = dataset(6, 30);
  private final TaskSpec spec = new TaskSpec(4, 5, 3);

  @Test
  void sameSeedAndIndexGiveTheSameTaskInAnyOrder() {
    TaskSampler a = new TaskSampler(data, spec, 11);
    TaskSampler b = new TaskSampler(data, spec, 11);
    Task t5 = a.task(5);
    a.task(3);
    assertEquals(t5, a.task(5));
    assertEquals(t5, b.task(5));
    assertNotEquals(t5, a.task(6));
    assertNotEquals(t5, new TaskSampler(data, spec, 12).task(5));
  }

  @Test
  void labelsAreABalancedPermutationAndImagesAreDisjoint() {
    TaskSampler s = new TaskSampler(data, spec, 1);
    for (int i = 0; i < 50; i++) {
      Task t = s.task(i);
      int[] supportPerLabel = new int[4];
      int[] queryPerLabel = new int[4];
      for (int y : t.supportLabels()) {
        supportPerLabel[y]++;
      }
      for (int y : t.queryLabels()) {
        queryPerLabel[y]++;
      }
      for (int k = 0; k < 4; k++) {
        assertEquals(5, supportPerLabel[k]);
        assertEquals(3, queryPerLabel[k]);
      }
      Set<Integer> seen = new HashSet<>();
      for (int idx : t.supportIndices()) {
        assertTrue(seen.add(idx), "support image used twice");
      }
      for (int idx : t.queryIndices()) {
        assertTrue(seen.add(idx), "query image also in support or used twice");
      }
      // every image carries the class its label stands for
      for (int j = 0; j < t.supportSize(); j++) {
        assertEquals(t.classIds()[t.supportLabels()[j]], data.label(t.supportIndices()[j]));
      }
      assertEquals(4, new HashSet<>(List.of(box(t.classIds()))).size());
      assertEquals(4 * 5 * 4, t.supportImages().length);
    }
  }

  @Test
  void classToLabelMappingChangesAcrossTasksAndClassesAreDrawnEvenly() {
    TaskSampler s = new TaskSampler(data, spec, 2);
    Map<Integer, Set<Integer>> labelsOfClass = new HashMap<>();
    int[] counts = new int[6];
    int tasks = 600;
    for (int i = 0; i < tasks; i++) {
      Task t = s.task(i);
      for (int label = 0; label < 4; label++) {
        labelsOfClass.computeIfAbsent(t.classIds()[label], k -> new HashSet<>()).add(label);
        counts[t.classIds()[label]]++;
      }
    }
    for (int c = 0; c < 6; c++) {
      assertEquals(4, labelsOfClass.get(c).size(), "class " + c + " must appear under every label");
      // each class is in 4/6 of the tasks: 400 of 600, sd about 11.5
      assertEquals(400, counts[c], 50);
    }
  }

  @Test
  void refusesTooFewUsableClasses() {
    ImageDataset small = dataset(3, 30);
    DataException e = assertThrows(DataException.class, () -> new TaskSampler(small, spec, 1));
    assertTrue(e.getMessage().contains("only 3 classes"), e.getMessage());
    ImageDataset thin = dataset(6, 7); // 7 < 5 shots + 3 queries
    assertThrows(DataException.class, () -> new TaskSampler(thin, spec, 1));
    assertThrows(IllegalArgumentException.class, () -> new TaskSpec(1, 5, 5));
  }

  private static Integer[] box(int[] v) {
    Integer[] out = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }
}
