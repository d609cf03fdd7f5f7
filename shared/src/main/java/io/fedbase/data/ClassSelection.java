package io.fedbase.data;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The {@code --classes} value: a set of class ids written as {@code 0-5}, {@code 6,7,9} or a mix. */
public record ClassSelection(List<Integer> classes) {

  public ClassSelection {
    classes = List.copyOf(new TreeSet<>(classes));
  }

  /** Parses {@code 0-5}, {@code 6,7,9}, {@code 0-2,5,8-9} (spaces allowed). */
  public static ClassSelection parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("the class selection is empty; use e.g. 0-5 or 6,7,9");
    }
    TreeSet<Integer> out = new TreeSet<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("class selection '" + text + "' has an empty item");
      }
      int dash = p.indexOf('-', 1);
      try {
        if (dash > 0) {
          int from = nonNegative(p.substring(0, dash).trim(), text);
          int to = nonNegative(p.substring(dash + 1).trim(), text);
          if (to < from) {
            throw new IllegalArgumentException("class selection '" + text + "' has a reversed range " + p);
          }
          for (int c = from; c <= to; c++) {
            out.add(c);
          }
        } else {
          out.add(nonNegative(p, text));
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("class selection '" + text + "': '" + p + "' is not a class id or range");
      }
    }
    return new ClassSelection(new ArrayList<>(out));
  }

  private static int nonNegative(String s, String text) {
    int v = Integer.parseInt(s);
    if (v < 0) {
      throw new IllegalArgumentException("class selection '" + text + "' has a negative class id " + v);
    }
    return v;
  }

  public boolean contains(int classId) {
    return classes.contains(classId);
  }

  /** Compact form, e.g. {@code 0-5,7}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < classes.size()) {
      int j = i;
      while (j + 1 < classes.size() && classes.get(j + 1) == classes.get(j) + 1) {
        j++;
      }
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(classes.get(i));
      if (j > i) {
        sb.append('-').append(classes.get(j));
      }
      i = j + 1;
    }
    return sb.toString();
  }
}
