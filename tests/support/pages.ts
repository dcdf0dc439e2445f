import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** One answer as the client received it: nothing followed, the body read. */
export interface PageAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Every Set-Cookie line, as sent. */
  cookies: string[];
  location: string | undefined;
  body: string;
}

const ENTITIES: Record<string, string> = {
  "&quot;": '"',
  "&#x27;": "'",
  "&#39;": "'",
  "&lt;": "<",
  "&gt;": ">",
};
const decodeEntities = (text: string) =>
  text
    .replace(/&quot;|&#x27;|&#39;|&lt;|&gt;/g, (entity) => ENTITIES[entity] as string)
    .replaceAll("&amp;", "&");

/**
 * A browser without JavaScript for the pages, over node:http (so that every
 * header, Host included, is exactly what the test says): a cookie jar, and
 * forms submitted as a browser submits them — every hidden field of the form
 * that holds the given fields (the server action's own among them), posted
 * as multipart/form-data with the page's Origin and `Sec-Fetch-Site:
 * same-origin`. `origin` is the site's public origin (ISSUER's); requests go
 * to `base` (the server, or a proxy in front of it); an absolute URL on
 * `origin` is sent to `base` too.
 */
export class PageClient {
  private readonly jar = new Map<string, string>();

  constructor(
    /** Where requests go: the server, or a proxy in front of it (a test may switch it between requests). */
    public base: string,
    private readonly origin: string,
    /** Headers every request carries (say, a forged X-Forwarded-Host). */
    private readonly extraHeaders: Record<string, string> = {},
    /** The certificate an https `base` is trusted with. */
    private readonly ca?: string,
  ) {}

  /** The value of a cookie the client holds. */
  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** Every cookie the client holds, by name. */
  cookies(): Map<string, string> {
    return new Map(this.jar);
  }

  get(target: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.send("GET", target, undefined, headers);
  }

  /**
   * Submits the form of `page` that has a field named after every key of `fields` (and holds the
   * text `containing`, when given), with those values.
   */
  async submit(
    target: string,
    page: string,
    fields: Record<string, string | string[]>,
    containing?: string,
  ): Promise<PageAnswer> {
    const forms = page.match(/<form[^>]*>[\s\S]*?<\/form>/g) ?? [];
    const names = Object.keys(fields);
    const form = forms.find(
      (candidate) =>
        names.every((name) => candidate.includes(`name="${name}"`)) &&
        (containing === undefined || candidate.includes(containing)),
    );
    if (!form)
      throw new Error(`no form with the fields ${names.join(", ")} on the page:\n${page.slice(0, 2000)}`);
    const data = new FormData();
    for (const [, attributes] of form.matchAll(/<input([^>]*)>/g)) {
      const name = attributes?.match(/\bname="([^"]*)"/)?.[1];
      if (!name || !/\btype="hidden"/.test(attributes ?? "")) continue;
      data.set(decodeEntities(name), decodeEntities(attributes?.match(/\bvalue="([^"]*)"/)?.[1] ?? ""));
    }
    for (const [name, value] of Object.entries(fields)) {
      data.delete(name);
      for (const one of Array.isArray(value) ? value : [value]) data.append(name, one);
    }
    const encoded = new Response(data);
    const body = Buffer.from(await encoded.arrayBuffer());
    return this.send("POST", target, body, {
      "content-type": encoded.headers.get("content-type") ?? "",
      origin: this.origin,
      "sec-fetch-site": "same-origin",
    });
  }

  /** Follows redirects with GET (at most 10), answering the first answer that is not one. */
  async follow(answer: PageAnswer): Promise<PageAnswer & { url: string | undefined }> {
    let current: PageAnswer = answer;
    let url: string | undefined;
    for (let hops = 0; hops < 10 && current.location !== undefined; hops++) {
      url = current.location;
      if (!this.isOurs(url)) break;
      current = await this.get(url);
    }
    return { ...current, url };
  }

  /** Whether a URL (absolute, or a path) is on this site. */
  isOurs(url: string): boolean {
    return new URL(url, this.origin).origin === this.origin;
  }

  private send(
    method: string,
    target: string,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<PageAnswer> {
    const onSite = new URL(target, this.origin);
    if (onSite.origin !== this.origin) throw new Error(`${target} is not on ${this.origin}`);
    const url = new URL(`${onSite.pathname}${onSite.search}`, this.base);
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          ...(this.ca ? { ca: this.ca, servername: url.hostname } : {}),
          method,
          headers: {
            ...this.extraHeaders,
            ...(cookie ? { cookie } : {}),
            ...(body ? { "content-length": String(body.length) } : {}),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const cookies = response.headers["set-cookie"] ?? [];
            for (const line of cookies) {
              const [pair = ""] = line.split(";");
              const at = pair.indexOf("=");
              const name = pair.slice(0, at).trim();
              const value = pair.slice(at + 1).trim();
              if (value === "" || /max-age=0\b/i.test(line)) this.jar.delete(name);
              else this.jar.set(name, value);
            }
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              cookies,
              location: response.headers.location,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }
}
