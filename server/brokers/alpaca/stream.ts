import WebSocket from "ws";
import type { AlpacaCredentials } from "./http";
import type { AlpacaTradeUpdate } from "./mapping";

/**
 * One account's trade_updates stream: auth, listen, reconnect with capped exponential
 * backoff and jitter, and a catch-up callback after every (re)connection that follows a
 * gap — updates sent while we were away are never assumed, they are fetched
 * (AlpacaBroker.catchUp: account activities and orders since the gap began).
 */

export type StreamOptions = {
  url: string;
  credentials: AlpacaCredentials;
  onUpdate: (u: AlpacaTradeUpdate) => Promise<void>;
  /** After a reconnection: everything since `gapStart` may have been missed. */
  onGap: (gapStart: Date) => Promise<void>;
  /** Backoff bounds (ms); default 100 → 30 000. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** A restarted process resumes here: the first connection catches up from it. */
  resumeFrom?: Date | null;
};

type State = "idle" | "connecting" | "ready" | "closed";

export class TradeUpdatesStream {
  private ws: WebSocket | null = null;
  private state: State = "idle";
  private attempt = 0;
  private gapStart: Date | null = null;
  private ready: Promise<void> | null = null;
  private resolveReady: (() => void) | null = null;
  /** Updates are applied strictly in frame order: the journal numbers them in that order. */
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** Connections made so far (tests read it to see a reconnect). */
  connections = 0;

  constructor(private readonly opts: StreamOptions) {
    this.gapStart = opts.resumeFrom ?? null;
  }

  /** Resolves once authorized and listening to trade_updates (connecting if needed). */
  start(): Promise<void> {
    if (this.state === "closed") return Promise.reject(new Error("stream closed"));
    if (!this.ready) {
      this.ready = new Promise<void>((resolve) => (this.resolveReady = resolve));
      this.connect();
    }
    return this.ready;
  }

  private log(msg: string, extra?: Record<string, unknown>) {
    this.opts.log?.(msg, extra);
  }

  private connect(): void {
    if (this.state === "closed") return;
    this.state = "connecting";
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    ws.on("open", () => {
      ws.send(
        JSON.stringify({
          action: "auth",
          key: this.opts.credentials.keyId,
          secret: this.opts.credentials.secretKey,
        }),
      );
    });
    ws.on("message", (raw: WebSocket.RawData) => {
      // Alpaca's paper stream sends binary frames, the live one text: both are JSON.
      let msg: { stream?: string; data?: Record<string, unknown> };
      try {
        msg = JSON.parse(raw.toString()) as typeof msg;
      } catch {
        return;
      }
      if (msg.stream === "authorization") {
        if (msg.data?.status === "authorized")
          ws.send(JSON.stringify({ action: "listen", data: { streams: ["trade_updates"] } }));
        else {
          this.log("alpaca stream: unauthorized", { status: msg.data?.status });
          ws.close();
        }
        return;
      }
      if (msg.stream === "listening") {
        const streams = (msg.data?.streams as string[] | undefined) ?? [];
        if (!streams.includes("trade_updates")) return;
        this.connections += 1;
        this.attempt = 0;
        const gap = this.gapStart;
        this.gapStart = null;
        this.state = "ready";
        if (gap) {
          // Catch up before anything that arrives later on this connection is applied.
          this.chain = this.chain.then(() =>
            this.opts.onGap(gap).catch((e: unknown) => {
              this.log("alpaca stream: catch-up failed", { error: String(e) });
              this.gapStart = gap; // try again after the next reconnect
            }),
          );
        }
        void this.chain.then(() => this.resolveReady?.());
        return;
      }
      if (msg.stream === "trade_updates" && msg.data) {
        const data = msg.data as unknown as AlpacaTradeUpdate;
        this.chain = this.chain.then(() =>
          this.opts.onUpdate(data).catch((e: unknown) => {
            this.log("alpaca stream: update not applied", { error: String(e) });
          }),
        );
      }
    });
    const lost = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.state === "closed") return;
      this.gapStart ??= new Date();
      this.state = "connecting";
      const base = Math.min(
        this.opts.maxBackoffMs ?? 30_000,
        (this.opts.minBackoffMs ?? 100) * 2 ** this.attempt,
      );
      this.attempt += 1;
      const delay = base / 2 + Math.random() * (base / 2);
      this.log("alpaca stream: disconnected, reconnecting", { delayMs: Math.round(delay) });
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.on("close", lost);
    ws.on("error", () => {
      // 'close' follows; the error itself says nothing the reconnect does not handle.
    });
  }

  get connected(): boolean {
    return this.state === "ready";
  }

  /**
   * Everything the server wrote before now has been applied: a ping's pong comes back after
   * every frame sent before it (one TCP connection, in order), then the apply chain drains.
   * Waits for a reconnection in progress (and its catch-up), up to `timeoutMs`.
   */
  async barrier(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.start();
    while (this.state !== "ready" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const ws = this.ws;
    if (ws && this.state === "ready") {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        ws.once("pong", () => {
          clearTimeout(t);
          resolve();
        });
        try {
          ws.ping();
        } catch {
          clearTimeout(t);
          resolve();
        }
      });
    }
    await this.chain;
  }

  /** Drops the connection as a network failure would (tests). */
  dropConnection(): void {
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    this.state = "closed";
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.terminate();
      });
    }
    await this.chain;
  }
}
