/** Why a connection's bytes were refused before the MQTT parser buffered them. */
export type PacketRefusal = 'not_connect' | 'connect_too_large' | 'packet_too_large' | 'malformed';

const CONNECT = 1;

/**
 * Follows the MQTT framing of what a connection sends (fixed header and remaining length only; the
 * bodies are skipped, never copied) and refuses a packet the moment its header declares more bytes
 * than allowed. The parser would otherwise buffer a declared 250 MB CONNECT from anyone who can open a
 * socket. The first packet must be CONNECT; until the connection is accepted, packets get the small
 * `beforeAccept` limit, then `afterAccept`.
 */
export class PacketSizeWatch {
  private state: 'header' | 'length' | 'body' = 'header';
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private packets = 0;

  /** `limits` may be shared by every connection; `connection` says whether this one has been accepted. */
  constructor(
    private readonly limits: { readonly beforeAccept: number; readonly afterAccept: number },
    private readonly connection: { readonly accepted: boolean },
  ) {}

  /** null: carry on; otherwise why the connection must close (the chunk must not reach the parser). */
  feed(chunk: Buffer): { reason: PacketRefusal; declared: number; limit: number } | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'header';
        continue;
      }
      const b = chunk[i++];
      if (this.state === 'header') {
        this.type = b >> 4;
        if (this.packets === 0 && this.type !== CONNECT) return { reason: 'not_connect', declared: 0, limit: 0 };
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (b & 0x80) {
        if (this.lengthBytes >= 4) return { reason: 'malformed', declared: this.length, limit: 0 };
        continue;
      }
      const accepted = this.connection.accepted;
      const limit = accepted ? this.limits.afterAccept : this.limits.beforeAccept;
      if (this.length > limit)
        return { reason: accepted ? 'packet_too_large' : this.type === CONNECT ? 'connect_too_large' : 'packet_too_large', declared: this.length, limit };
      this.packets++;
      this.remaining = this.length;
      this.state = this.length === 0 ? 'header' : 'body';
    }
    return null;
  }
}
