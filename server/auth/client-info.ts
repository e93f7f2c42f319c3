/**
 * Who is on the other end of a request, for rate limits and the audit log.
 *
 * `next start` fills X-Forwarded-For with the socket address only when the request has none,
 * so a client talking to Next directly can name any address it likes. Behind a reverse proxy
 * that appends the address it saw (nginx `$proxy_add_x_forwarded_for`, every load balancer),
 * the entry that proxy added is the last one, and that is the one we trust: a client can put
 * anything in front of it but cannot change it. TANDEM_TRUSTED_PROXY_HOPS says how many
 * proxies append (default 1: one proxy, or none). See docs/adr/0011.
 */
export type ClientInfo = { ip: string; userAgent: string };

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(h: HeaderSource, name: string): string | undefined {
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join(",") : v;
}

const MAX_UA = 300;

export function clientInfo(h: HeaderSource, env: NodeJS.ProcessEnv = process.env): ClientInfo {
  const hops = Math.max(1, Number(env.TANDEM_TRUSTED_PROXY_HOPS ?? 1) || 1);
  const chain = (header(h, "x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const raw = chain.length
    ? chain[Math.max(0, chain.length - hops)]!
    : (header(h, "x-real-ip") ?? "");
  // An address is at most 45 characters (IPv6 with an IPv4 tail); anything else is noise.
  const ip = /^[0-9a-fA-F:.]{2,45}$/.test(raw) ? raw.replace(/^::ffff:/, "") : "unknown";
  const userAgent = (header(h, "user-agent") ?? "")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .slice(0, MAX_UA);
  return { ip, userAgent };
}
