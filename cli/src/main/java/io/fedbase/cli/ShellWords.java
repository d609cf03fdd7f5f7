package io.fedbase.cli;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Command lines printed for the user to copy: each word quoted for a POSIX shell when it needs it. */
public final class ShellWords {

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private ShellWords() {}

  /** {@code word} as a shell reads it back unchanged: as is when plain, else in single quotes. */
  public static String quote(String word) {
    if (PLAIN.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** A fedbase command line to copy, e.g. {@code ./fedbase train --genotype 'my run/genotype.json'}. */
  @SafeVarargs
  public static String fedbaseCommand(List<String>... parts) {
    return "./fedbase " + join(Stream.of(parts).flatMap(List::stream).toList());
  }

  /** The words joined by spaces, each quoted as needed. */
  public static String join(List<String> words) {
    return words.stream().map(ShellWords::quote).collect(Collectors.joining(" "));
  }
}
