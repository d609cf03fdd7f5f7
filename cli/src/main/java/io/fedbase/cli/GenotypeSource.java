package io.fedbase.cli;

import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.space.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A genotype file as {@code train} and {@code bench genotypes} take it: {@code genotype.json} from
 * {@code adapt} (with its search space's operations) or a DARTS-notation text file.
 */
public record GenotypeSource(Genotype genotype, List<Operation> operations) {

  public static GenotypeSource read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "genotype file not found; `fedbase adapt` writes genotype.json");
    }
    String text = Files.readString(file).strip();
    if (text.startsWith("{")) {
      return new GenotypeSource(GenotypeJson.read(file), GenotypeJson.readOperations(file));
    }
    try {
      return new GenotypeSource(DartsNotation.parse(text), List.of(Operation.values()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " is neither a genotype.json nor a DARTS-notation genotype: " + e.getMessage(), e);
    }
  }
}
