import { lineEnd } from './csv-reader.js';

/** Splits NDJSON text into lines with their numbers; an unfinished last line waits for more text. */
export class NdjsonLines {
  /** Line (1-based) of the next line. */
  line: number;

  constructor(firstLine = 1) {
    this.line = firstLine;
  }

  /** Hands each non-blank line over and returns how many characters were consumed. */
  parse(text: string, final: boolean, onLine: (text: string, line: number) => void): number {
    let pos = 0;
    const len = text.length;
    while (pos < len) {
      let nl = lineEnd(text, pos);
      if (nl === -1) {
        if (!final) break;
        nl = len;
      }
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end > pos && text.slice(pos, end).trim() !== '') onLine(text.slice(pos, end), this.line);
      this.line++;
      pos = nl + 1;
    }
    return Math.min(pos, len);
  }
}
