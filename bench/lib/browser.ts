/**
 * A browser without JavaScript, over fetch: one cookie jar, redirects followed
 * by hand (so each hop is counted), HTML forms read from the page and
 * submitted as a browser submits them (hidden inputs, ticked boxes, the
 * pressed button's name and value, the form's enctype). The benchmark's
 * interactive and SSO flows drive both servers' real pages through it.
 */
import { CookieJar } from "./flow.ts";

interface FormInput {
  name: string;
  value: string;
  type: string;
  checked: boolean;
}

interface FormButton {
  name?: string;
  value?: string;
  text: string;
}

export interface HtmlForm {
  action: string;
  method: "GET" | "POST";
  enctype: string;
  inputs: FormInput[];
  buttons: FormButton[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith("#x")) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16));
    if (lower.startsWith("#")) return String.fromCodePoint(Number.parseInt(lower.slice(1), 10));
    return ENTITIES[lower] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(/([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    const name = (match[1] ?? "").toLowerCase();
    found.set(name, decode(match[2] ?? match[3] ?? match[4] ?? ""));
  }
  return found;
}

/** Every form of a page, with its inputs and submit buttons. */
function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[1] ?? "");
    const body = match[2] ?? "";
    const inputs: FormInput[] = [];
    for (const input of body.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1] ?? "");
      const name = a.get("name");
      if (!name) continue;
      inputs.push({
        name,
        value: a.get("value") ?? (a.get("type") === "checkbox" ? "on" : ""),
        type: (a.get("type") ?? "text").toLowerCase(),
        checked: a.has("checked"),
      });
    }
    const buttons: FormButton[] = [];
    for (const button of body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const a = attributes(button[1] ?? "");
      if ((a.get("type") ?? "submit").toLowerCase() !== "submit") continue;
      buttons.push({
        name: a.get("name"),
        value: a.get("value"),
        text: decode((button[2] ?? "").replace(/<[^>]*>/g, "")).trim(),
      });
    }
    forms.push({
      action: attrs.get("action") ?? "",
      method: (attrs.get("method") ?? "GET").toUpperCase() === "POST" ? "POST" : "GET",
      enctype: (attrs.get("enctype") ?? "application/x-www-form-urlencoded").toLowerCase(),
      inputs,
      buttons,
    });
  }
  return forms;
}

export class BrowserError extends Error {}

export interface Page {
  url: string;
  status: number;
  html: string;
}

export class Browser {
  readonly jar = new CookieJar();
  /** HTTP requests this browser sent, redirects included. */
  requests = 0;

  constructor(private readonly origin: string) {}

  private async send(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = this.jar.header();
    const headers = new Headers(init.headers);
    if (cookie) headers.set("cookie", cookie);
    this.requests++;
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.jar.store(response);
    return response;
  }

  /**
   * Follows redirects from `response` until a page (2xx) or a redirect to a
   * URL that starts with `stopAt` (the client's redirect_uri, never fetched);
   * returns that page or that URL.
   */
  private async follow(
    response: Response,
    url: string,
    stopAt: string,
  ): Promise<{ page: Page } | { redirect: string }> {
    let current = response;
    let currentUrl = url;
    for (let hops = 0; hops < 20; hops++) {
      if (current.status >= 300 && current.status < 400) {
        await current.body?.cancel();
        const location = current.headers.get("location");
        if (!location) throw new BrowserError(`${current.status} without Location at ${currentUrl}`);
        const next = new URL(location, currentUrl).toString();
        if (next.startsWith(stopAt)) return { redirect: next };
        currentUrl = next;
        current = await this.send(next);
        continue;
      }
      const html = await current.text();
      if (current.status >= 400)
        throw new BrowserError(`${current.status} at ${currentUrl}: ${html.slice(0, 200)}`);
      return { page: { url: currentUrl, status: current.status, html } };
    }
    throw new BrowserError(`too many redirects from ${url}`);
  }

  async open(url: string, stopAt: string): Promise<{ page: Page } | { redirect: string }> {
    return this.follow(await this.send(url), url, stopAt);
  }

  /**
   * Submits the first form of `page` that `pick` accepts, as the button
   * `button` chooses, with `fields` overriding or adding values and
   * `tick` naming the checkboxes to tick (others keep their default state).
   */
  async submit(
    page: Page,
    options: {
      pick: (form: HtmlForm) => boolean;
      button?: (button: FormButton) => boolean;
      fields?: Record<string, string>;
      tick?: string[];
      stopAt: string;
    },
  ): Promise<{ page: Page } | { redirect: string }> {
    const form = parseForms(page.html).find(options.pick);
    if (!form) throw new BrowserError(`no matching form on ${page.url}`);
    const entries: Array<[string, string]> = [];
    const overridden = new Set(Object.keys(options.fields ?? {}));
    for (const input of form.inputs) {
      if (overridden.has(input.name)) continue;
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked || options.tick?.includes(input.name)) entries.push([input.name, input.value]);
        continue;
      }
      if (input.type === "submit" || input.type === "button") continue;
      entries.push([input.name, input.value]);
    }
    for (const [name, value] of Object.entries(options.fields ?? {})) entries.push([name, value]);
    const pressed = options.button ? form.buttons.find(options.button) : form.buttons[0];
    if (options.button && !pressed) throw new BrowserError(`no matching button on ${page.url}`);
    if (pressed?.name) entries.push([pressed.name, pressed.value ?? ""]);

    const action = new URL(form.action || page.url, page.url).toString();
    const headers: Record<string, string> = { origin: this.origin };
    let body: BodyInit;
    if (form.enctype === "multipart/form-data") {
      const data = new FormData();
      for (const [name, value] of entries) data.append(name, value);
      body = data;
    } else {
      body = new URLSearchParams(entries);
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const response = await this.send(action, { method: form.method, headers, body });
    return this.follow(response, action, options.stopAt);
  }
}

/** The page of a step, or a clear error naming what came instead. */
export function expectPage(result: { page: Page } | { redirect: string }, what: string): Page {
  if ("page" in result) return result.page;
  throw new BrowserError(`expected ${what}, was sent to ${result.redirect.slice(0, 200)}`);
}

/** The redirect to the client of a step, or a clear error naming the page shown instead. */
export function expectRedirect(result: { page: Page } | { redirect: string }, what: string): string {
  if ("redirect" in result) return result.redirect;
  throw new BrowserError(
    `expected ${what}, got the page ${result.page.url}: ${result.page.html
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .slice(0, 200)}`,
  );
}
