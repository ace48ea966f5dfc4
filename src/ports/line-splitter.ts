/**
 * Splits a child's stdout into lines, refusing any line longer than maxBytes: a reply that
 * never ends must not grow the worker's memory without bound (readline has no such limit).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (!this.accept(piece.length)) return;
      this.parts.push(piece);
      const line = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.trim() !== '') this.onLine(line);
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0 && this.accept(rest.length)) this.parts.push(rest);
  }

  private accept(bytes: number): boolean {
    this.size += bytes;
    if (this.size <= this.maxBytes) return true;
    const seen = this.size;
    this.parts = [];
    this.size = 0;
    this.onOversize(seen);
    return false;
  }
}
