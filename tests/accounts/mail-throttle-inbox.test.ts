/**
 * Mail anyone can make Portico send is counted per inbox: the subaddresses
 * of one mailbox (`victim+1@`, `victim+2@`, RFC 5233) share its count, so
 * varying the tag floods nobody's inbox. Over HTTP, through the pages, with
 * a real SMTP server.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Mailbox, startMailbox } from "@/tests/support/mailbox.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`mail to one inbox is throttled however its address is tagged (${backend})`, () => {
    let mailbox: Mailbox;
    let portico: Portico;

    before(async () => {
      mailbox = await startMailbox();
      portico = await startPortico({ backend, compiled: true, env: { SMTP_URL: mailbox.smtpUrl } });
    });
    after(async () => {
      await portico.stop();
      await mailbox.stop();
    });

    test("three reset emails reach victim@ (tagged or not); the fourth request waits and sends nothing", async () => {
      const browser = new PageClient(portico.url, portico.url);
      const addresses = [
        "victim@example.com",
        "victim+1@example.com",
        "Victim+2@example.com",
        "victim+3@example.com",
      ];
      const statuses: number[] = [];
      let last = "";
      for (const email of addresses) {
        const page = await browser.get("/forgot-password");
        const answer = await browser.submit(
          "/forgot-password",
          page.body,
          { email },
          ">Send reset link</button>",
        );
        statuses.push(answer.status);
        last = answer.body;
      }
      assert.deepEqual(statuses.slice(0, 3), [303, 303, 303]);
      assert.notEqual(statuses[3], 303);
      assert.match(last, /Too many emails were asked for this address/);
      // Before: a fourth message in the same inbox (each tag had three free).
      const inbox = mailbox
        .messages()
        .filter((mail) => mail.to.some((to) => /^victim(\+[^@]*)?@example\.com$/.test(to)));
      assert.equal(inbox.length, 3);
      // Another inbox is not held back by it.
      const page = await browser.get("/forgot-password");
      const other = await browser.submit(
        "/forgot-password",
        page.body,
        { email: "other@example.com" },
        ">Send reset link</button>",
      );
      assert.equal(other.status, 303);
    });
  });
}
