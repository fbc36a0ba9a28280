import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Ends an error answer that went out while the request body was still arriving (the answer is
 * written in full, with `Connection: close`, before this is called). The connection is not kept
 * for another request: after the answer the gateway reads and discards at most `maxBytes` more of
 * the body, then closes.
 *
 * Why not close at once: closing a socket with unread data makes the kernel send a reset, which
 * can destroy the answer in the client's receive buffer before it is read, so an honest client
 * would see a broken connection instead of its 401. Reading a bounded amount first lets it
 * finish sending and read the answer (nginx's lingering close, Envoy's delayed close). Why not
 * keep reading: a client streaming an endless body would hold a core forever.
 *
 * A body that ends within the bound closes the connection cleanly; past the bound the socket is
 * destroyed; a client trickling slower is cut by the listener's `requestTimeoutMs`.
 */
export function closeAfterUnreadBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  let discarded = 0;
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded <= maxBytes) return;
    stop();
    res.destroy();
  };
  const onEnd = (): void => {
    stop();
    res.end();
  };
  const stop = (): void => {
    req.off("data", onData);
    req.off("end", onEnd);
  };
  req.on("data", onData);
  req.once("end", onEnd);
  req.resume();
}
