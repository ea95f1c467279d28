// The one error a model file raises when it is not what it should be.

/** A model file that cannot be read or written; the message names the file and the problem. */
export class ModelFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ModelFileError';
  }
}
