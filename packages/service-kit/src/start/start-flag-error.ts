/** Thrown for a misspelled flag or a bad value; the message names the flag or variable. */
export class StartFlagError extends Error {
  override readonly name = "StartFlagError";
  readonly code = "invalid_start_flag";
}
