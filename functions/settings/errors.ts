/** The settings' errors: a message that names the key or variable at fault, and what it accepts. */

/** A setting that is missing or not acceptable; the message names the variable or key. */
export class SettingError extends Error {
  override readonly name = "SettingError";
}

/** A value that is not acceptable; `detail` replaces the generic "must be …" when it says more. */
export class InvalidValue extends Error {
  override readonly name = "InvalidValue";
  constructor(readonly detail?: string) {
    super(detail ?? "invalid value");
  }
}
