package io.fedbase.meta;

/**
 * A setting out of its range, named as the settings class names it (for example {@code
 * inner.steps} or {@code tasksPerNode}); a user interface maps the name to its own flag or field.
 */
public class InvalidSettingException extends IllegalArgumentException {

  private final String setting;
  private final String problem;

  /**
   * @param setting the setting's name
   * @param problem what is wrong, continuing the sentence "SETTING ...", e.g. "must be at least 1, got 0"
   */
  public InvalidSettingException(String setting, String problem) {
    super(setting + " " + problem);
    this.setting = setting;
    this.problem = problem;
  }

  public String setting() {
    return setting;
  }

  public String problem() {
    return problem;
  }
}
