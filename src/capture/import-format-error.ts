/** A log that is not in the format it claims: the message names the file, the line and what was expected. */
export class ImportFormatError extends Error {
  override name = 'ImportFormatError';
}
