import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AccessRequest } from "@/server/http/guard.ts";
import { compileCondition } from "@/server/policies/conditions.ts";
import { compilePattern, decide, ladonRegExp, PolicyError } from "@/server/policies/ladon.ts";
import { type Policy, policyInput } from "@/server/policies/schemas.ts";
import { PolicyStore } from "@/server/policies/store.ts";
import { compilePolicies, compilePolicy, LadonWarden, PolicyCompiler } from "@/server/policies/warden.ts";
import { migratedDatabase } from "@/tests/support/migrated-database.ts";
import { BACKENDS } from "@/tests/support/server.ts";

function policy(fields: Partial<Policy> & Pick<Policy, "id">): Policy {
  return {
    description: "",
    subjects: [],
    effect: "allow",
    resources: [],
    actions: [],
    conditions: {},
    ...fields,
  };
}

function wardenOf(...policies: Policy[]): LadonWarden {
  const compiled = policies.map(compilePolicy);
  return new LadonWarden({ all: async () => compiled });
}

function request(fields: Partial<AccessRequest> = {}): AccessRequest {
  return { subject: "alice", resource: "rn:hydra:clients:abc", action: "get", context: {}, ...fields };
}

describe("ladon patterns", () => {
  const cases: Array<[pattern: string, value: string, matches: boolean]> = [
    ["rn:hydra:clients:<.*>", "rn:hydra:clients:abc", true],
    ["rn:hydra:clients:<.*>", "rn:hydra:clients:", true],
    ["rn:hydra:clients:<.*>", "rn:hydra:clients", false],
    ["rn:hydra:clients:<.*>", "xrn:hydra:clients:abc", false],
    ["rn:hydra:clients:<.+>", "rn:hydra:clients:", false],
    // Anchored: a regexp part must not match a mere part of the value.
    ["rn:hydra:clients:<[a-z]+>", "rn:hydra:clients:abc1", false],
    ["rn:hydra:clients:<[a-z]+>", "rn:hydra:clients:abc", true],
    ["<abc>", "xabcx", false],
    ["<get|list>", "get", true],
    ["<get|list>", "getlist", false],
    ["<get|list>", "list", true],
    // Text outside <> is literal: a dot is a dot.
    ["rn:hydra:keys:hydra.openid.id-token:public", "rn:hydra:keys:hydra.openid.id-token:public", true],
    ["rn:hydra:keys:hydra.openid.<.*>", "rn:hydra:keys:hydraXopenid.x", false],
    ["rn:hydra:keys:hydra.openid.<.*>", "rn:hydra:keys:hydra.openid.x", true],
    ["a+b(c)<.*>", "a+b(c)d", true],
    ["a+b(c)<.*>", "aab(c)d", false],
    // Without <, plain equality: regexp characters mean nothing.
    ["rn:hydra:clients:.*", "rn:hydra:clients:abc", false],
    ["rn:hydra:clients:.*", "rn:hydra:clients:.*", true],
    ["a>b", "a>b", true],
    // Several groups.
    ["rn:hydra:keys:<[^:]+>:<public|private>", "rn:hydra:keys:set:public", true],
    ["rn:hydra:keys:<[^:]+>:<public|private>", "rn:hydra:keys:set:secret", false],
    ["rn:hydra:keys:<[^:]+>:<public|private>", "rn:hydra:keys:a:b:public", false],
    ["<[a-z]+>-<\\d{2,3}>-<.*>", "abc-12-", true],
    ["<[a-z]+>-<\\d{2,3}>-<.*>", "abc-1234-x", false],
    // Nested < inside a group count, as in ladon's compiler.
    ["<[<>]>", "<", true],
    ["<[<>]>", ">", true],
    // Go escapes of punctuation are literals; \d and friends keep their meaning.
    ["<a\\-b\\.c>", "a-b.c", true],
    ["<a\\-b\\.c>", "a-bxc", false],
    ["<\\w+\\:\\d+>", "ab:12", true],
    ["<[0-9a-f]{32}>", "0123456789abcdef0123456789abcdef", true],
    ["<[0-9a-f]{32}>", "0123456789abcdef", false],
    // The anonymous subject is the empty string.
    ["<.*>", "", true],
    ["", "", true],
    // Case matters, as in ladon.
    ["rn:hydra:clients", "RN:HYDRA:CLIENTS", false],
    // Go's syntax, with Go's meaning: flags, Unicode classes, \z, a leading ] in a class, a nested
    // repetition. ladon compiles every pattern with Go's regexp.Compile, which accepts all five; the
    // tests before re2js listed them as refused only because the old Go-to-ECMAScript translation
    // could not express them (or, for the nested repetition, V8's linear-time engine would not take
    // it). Go rejects a single repeat count above 1000 and a repetition of repetitions whose counts
    // multiply past 1000 (regexp/syntax repeatIsValid); `+` and `*` have no count, so
    // `(a{1,200})+` is valid Go.
    ["<(?i)abc>", "ABC", true],
    ["<(?i)abc>x", "ABCX", false],
    ["<\\pL+>", "äbc", true],
    ["<\\pL+>", "ab1", false],
    ["<abc\\z>", "abc", true],
    ["<[]a]+>", "]a]", true],
    ["<[]a]+>", "b", false],
    ["<(a{1,200})+>", "a".repeat(450), true],
    ["<(a{1,10}){1,100}>", "a".repeat(1000), true],
  ];
  for (const [pattern, value, matches] of cases) {
    test(`${JSON.stringify(pattern)} ${matches ? "matches" : "does not match"} ${JSON.stringify(value)}`, () => {
      assert.equal(compilePattern(pattern)(value), matches);
    });
  }

  const invalid: Array<[pattern: string, why: string]> = [
    ["rn:<.*", "unbalanced <"],
    ["rn:.*>x<", "unbalanced >"],
    ["<(>", "unterminated group"],
    ["<[a-z>", "unterminated class"],
    ["<*>", "nothing to repeat"],
    ["<a)(b>", "a part that only compiles inside the whole"],
    ["<(a)\\1>", "backreference (RE2 has none)"],
    ["<(?=a)a>", "lookahead (RE2 has none)"],
    ["<abc\\>", "trailing backslash"],
    ["<a{1001}>", "a repeat count above Go's 1000"],
    ["<(a{1,100}){1,20}>", "nested repeat counts that multiply past Go's 1000"],
  ];
  for (const [pattern, why] of invalid) {
    test(`${JSON.stringify(pattern)} is refused (${why})`, () => {
      assert.throws(() => compilePattern(pattern), PolicyError);
    });
  }

  test("catastrophic-looking regexps still answer quickly", () => {
    const started = performance.now();
    assert.equal(compilePattern("<(a+)+>")(`${"a".repeat(5000)}!`), false);
    assert.equal(compilePattern("<(a|aa)+>")(`${"a".repeat(5000)}!`), false);
    assert.equal(compilePattern("rn:<.*>:<.*>:<.*>")(`rn:${":".repeat(5000)}\n`), false);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });

  test("Go's meaning of . and \\s: a deny on <.*> is not sidestepped by \\r or U+2028", async () => {
    // ECMAScript's . stops at \r, U+2028 and U+2029 and its \s matches Unicode spaces; Go's does neither.
    assert.equal(compilePattern("<.*>")("rn:hydra:clients:a\rb"), true);
    assert.equal(compilePattern("<.*>")("rn:hydra:clients:a\u2028b"), true);
    assert.equal(compilePattern("<.*>")("rn:hydra:clients:a\u2029b"), true);
    assert.equal(compilePattern("<\\s>")(" "), true);
    assert.equal(compilePattern("<\\s>")("\u00a0"), false);
    assert.equal(compilePattern("<\\s>")("\u2003"), false);
    assert.equal(compilePattern("<\\S+>")("a\u00a0b"), true);
    // The allow's class matches the characters in ECMAScript too; only Go's . makes the deny match them.
    const allow = policy({
      id: "a",
      subjects: ["alice"],
      resources: ["rn:hydra:clients:<[^:]*>"],
      actions: ["get"],
    });
    const deny = policy({
      id: "d",
      subjects: ["alice"],
      resources: ["rn:hydra:clients:<.*>"],
      actions: ["get"],
      effect: "deny",
    });
    const warden = wardenOf(allow, deny);
    assert.equal(await wardenOf(allow).isAllowed(request({ resource: "rn:hydra:clients:a\rb" })), true);
    for (const sneaky of ["a\rb", "a\u2028b", "a\u2029b"]) {
      const resource = `rn:hydra:clients:${sneaky}`;
      assert.equal(await warden.isAllowed(request({ resource })), false, JSON.stringify(resource));
    }
  });

  test("a compiled regexp is reused", () => {
    assert.equal(ladonRegExp("^a+$"), ladonRegExp("^a+$"));
  });
});

describe("ladon decisions", () => {
  const allowAll = policy({ id: "all", subjects: ["alice"], resources: ["<.*>"], actions: ["<.*>"] });
  const cases: Array<[name: string, policies: Policy[], request: AccessRequest, allowed: boolean]> = [
    ["no policy denies", [], request(), false],
    ["a matching allow allows", [allowAll], request(), true],
    ["another subject is not matched", [allowAll], request({ subject: "bob" }), false],
    [
      "a non-matching action is not matched",
      [policy({ id: "p", subjects: ["alice"], resources: ["<.*>"], actions: ["get"] })],
      request({ action: "delete" }),
      false,
    ],
    [
      "a non-matching resource is not matched",
      [policy({ id: "p", subjects: ["alice"], resources: ["rn:hydra:keys:<.*>"], actions: ["get"] })],
      request(),
      false,
    ],
    [
      "deny overrides allow",
      [
        allowAll,
        policy({
          id: "d",
          subjects: ["alice"],
          resources: ["rn:hydra:clients:abc"],
          actions: ["get"],
          effect: "deny",
        }),
      ],
      request(),
      false,
    ],
    [
      "deny overrides allow whatever the order",
      [
        policy({ id: "d", subjects: ["<.*>"], resources: ["<.*>"], actions: ["get"], effect: "deny" }),
        allowAll,
      ],
      request(),
      false,
    ],
    [
      "a deny that does not match leaves the allow",
      [
        allowAll,
        policy({
          id: "d",
          subjects: ["alice"],
          resources: ["rn:hydra:clients:xyz"],
          actions: ["get"],
          effect: "deny",
        }),
      ],
      request(),
      true,
    ],
    [
      "a deny alone denies",
      [policy({ id: "d", subjects: ["alice"], resources: ["<.*>"], actions: ["<.*>"], effect: "deny" })],
      request(),
      false,
    ],
    [
      "a deny whose condition fails does not apply",
      [
        allowAll,
        policy({
          id: "d",
          subjects: ["alice"],
          resources: ["<.*>"],
          actions: ["<.*>"],
          effect: "deny",
          conditions: { owner: { type: "StringEqualCondition", options: { equals: "bob" } } },
        }),
      ],
      request({ context: { owner: "alice" } }),
      true,
    ],
    [
      "the anonymous subject matches <.*>",
      [
        policy({
          id: "p",
          subjects: ["<.*>"],
          resources: ["rn:hydra:keys:hydra.openid.id-token:public"],
          actions: ["get"],
        }),
      ],
      request({ subject: "", resource: "rn:hydra:keys:hydra.openid.id-token:public" }),
      true,
    ],
    [
      "a policy with no subjects matches nobody",
      [policy({ id: "p", resources: ["<.*>"], actions: ["<.*>"] })],
      request(),
      false,
    ],
    [
      "a broken stored pattern that is reached denies (fail closed)",
      [
        allowAll,
        policy({ id: "broken", subjects: ["<(>"], resources: ["<.*>"], actions: ["get"], effect: "deny" }),
      ],
      request(),
      false,
    ],
  ];
  for (const [name, policies, req, allowed] of cases) {
    test(name, async () => {
      assert.equal(await wardenOf(...policies).isAllowed(req), allowed);
    });
  }
});

describe("ladon conditions", () => {
  type Case = [
    type: string,
    options: Record<string, unknown>,
    context: Record<string, unknown>,
    passes: boolean,
  ];
  const cases: Case[] = [
    ["StringEqualCondition", { equals: "alice" }, { owner: "alice" }, true],
    ["StringEqualCondition", { equals: "alice" }, { owner: "bob" }, false],
    ["StringEqualCondition", { equals: "1" }, { owner: 1 }, false],
    ["StringEqualCondition", { equals: "" }, {}, false],
    // Unanchored, as ladon's regexp.MatchString.
    ["StringMatchCondition", { matches: "^team-[a-z]+$" }, { owner: "team-red" }, true],
    ["StringMatchCondition", { matches: "^team-[a-z]+$" }, { owner: "team-red1" }, false],
    ["StringMatchCondition", { matches: "team" }, { owner: "my-team-1" }, true],
    ["StringMatchCondition", { matches: ".*" }, { owner: 5 }, false],
    ["StringMatchCondition", { matches: ".*" }, {}, false],
    ["EqualsSubjectCondition", {}, { owner: "alice" }, true],
    ["EqualsSubjectCondition", {}, { owner: "bob" }, false],
    ["EqualsSubjectCondition", {}, {}, false],
    ["CIDRCondition", { cidr: "10.0.0.0/8" }, { owner: "10.1.2.3" }, true],
    ["CIDRCondition", { cidr: "10.0.0.0/8" }, { owner: "11.1.2.3" }, false],
    ["CIDRCondition", { cidr: "10.0.0.0/8" }, { owner: "::ffff:10.1.2.3" }, true],
    ["CIDRCondition", { cidr: "192.168.1.7/24" }, { owner: "192.168.1.200" }, true],
    ["CIDRCondition", { cidr: "2001:db8::/32" }, { owner: "2001:db8:1::1" }, true],
    ["CIDRCondition", { cidr: "2001:db8::/32" }, { owner: "2001:db9::1" }, false],
    ["CIDRCondition", { cidr: "2001:db8::/32" }, { owner: "10.1.2.3" }, false],
    ["CIDRCondition", { cidr: "10.0.0.0/8" }, { owner: "not an ip" }, false],
    ["CIDRCondition", { cidr: "10.0.0.0/8" }, {}, false],
    [
      "StringPairsEqualCondition",
      {},
      {
        owner: [
          ["a", "a"],
          ["b", "b"],
        ],
      },
      true,
    ],
    ["StringPairsEqualCondition", {}, { owner: [] }, true],
    ["StringPairsEqualCondition", {}, { owner: [["a", "b"]] }, false],
    ["StringPairsEqualCondition", {}, { owner: [["a", "a", "a"]] }, false],
    ["StringPairsEqualCondition", {}, { owner: [[1, 1]] }, false],
    ["StringPairsEqualCondition", {}, { owner: "aa" }, false],
    ["StringPairsEqualCondition", {}, {}, false],
  ];
  for (const [type, options, context, passes] of cases) {
    test(`${type} ${JSON.stringify(options)} with ${JSON.stringify(context)} ${passes ? "passes" : "fails"}`, async () => {
      const guarded = policy({
        id: "p",
        subjects: ["alice"],
        resources: ["<.*>"],
        actions: ["<.*>"],
        conditions: { owner: { type, options } },
      });
      assert.equal(await wardenOf(guarded).isAllowed(request({ context })), passes);
    });
  }

  test("every condition of a policy must pass", async () => {
    const guarded = policy({
      id: "p",
      subjects: ["alice"],
      resources: ["<.*>"],
      actions: ["<.*>"],
      conditions: {
        owner: { type: "EqualsSubjectCondition", options: {} },
        ip: { type: "CIDRCondition", options: { cidr: "10.0.0.0/8" } },
      },
    });
    const warden = wardenOf(guarded);
    assert.equal(await warden.isAllowed(request({ context: { owner: "alice", ip: "10.0.0.1" } })), true);
    assert.equal(await warden.isAllowed(request({ context: { owner: "alice", ip: "127.0.0.1" } })), false);
    assert.equal(await warden.isAllowed(request({ context: { owner: "alice" } })), false);
  });

  test("a stored condition of an unknown type fails closed", () => {
    const condition = compileCondition({ type: "BooleanCondition", options: {} });
    assert.throws(() => condition.fulfills(true, request()), PolicyError);
  });
});

describe("the policy wire schema", () => {
  test("fills every field and drops unknown ones", () => {
    const parsed = policyInput.parse({ effect: "deny", extra: "dropped" });
    assert.deepEqual(parsed, {
      description: "",
      subjects: [],
      effect: "deny",
      resources: [],
      actions: [],
      conditions: {},
    });
  });

  test("normalizes condition options to the fields the condition knows", () => {
    const parsed = policyInput.parse({
      effect: "allow",
      conditions: {
        owner: { type: "EqualsSubjectCondition" },
        team: { type: "StringEqualCondition", options: { equals: "red", extra: 1 } },
      },
    });
    assert.deepEqual(parsed.conditions, {
      owner: { type: "EqualsSubjectCondition", options: {} },
      team: { type: "StringEqualCondition", options: { equals: "red" } },
    });
  });

  const invalid: Array<[name: string, body: unknown, path: string]> = [
    ["a missing effect", {}, "effect"],
    ["an unknown effect", { effect: "maybe" }, "effect"],
    ["an upper-case effect", { effect: "Allow" }, "effect"],
    ["an invalid subject regexp", { effect: "allow", subjects: ["<(>"] }, "subjects.0"],
    ["an unbalanced resource", { effect: "allow", resources: ["ok", "rn:<x"] }, "resources.1"],
    ["a non-string action", { effect: "allow", actions: [1] }, "actions.0"],
    [
      "an unknown condition type",
      { effect: "allow", conditions: { a: { type: "Nope" } } },
      "conditions.a.type",
    ],
    [
      "an invalid StringMatchCondition regexp",
      { effect: "allow", conditions: { a: { type: "StringMatchCondition", options: { matches: "(" } } } },
      "conditions.a.options.matches",
    ],
    [
      "an invalid CIDR",
      { effect: "allow", conditions: { a: { type: "CIDRCondition", options: { cidr: "10.0.0.0/33" } } } },
      "conditions.a.options.cidr",
    ],
    [
      "a StringEqualCondition without equals",
      { effect: "allow", conditions: { a: { type: "StringEqualCondition", options: {} } } },
      "conditions.a.options.equals",
    ],
    ["an empty id", { id: "", effect: "allow" }, "id"],
  ];
  for (const [name, body, path] of invalid) {
    test(`refuses ${name}`, () => {
      const parsed = policyInput.safeParse(body);
      assert.equal(parsed.success, false);
      assert.equal(parsed.error?.issues[0]?.path.join("."), path);
    });
  }
});

describe("a large policy set", () => {
  // 2,000 policies each ran their own regexps on every admin call (milliseconds of CPU a call);
  // a pattern many policies share now runs once per decision.
  const many = Array.from({ length: 200 }, (_, i) =>
    policy({
      id: `p${i}`,
      subjects: [`client-${i}`, `<group-${i % 10}-.*>`],
      resources: [`rn:app:<tenant${i}>:<.*>`],
      actions: ["<get|update|delete>"],
      effect: i === 150 ? "deny" : "allow",
    }),
  );

  test("policies that share a pattern share one matcher", () => {
    const compiled = compilePolicies(many);
    assert.equal(compiled[0]!.actions[0], compiled[199]!.actions[0]);
    assert.equal(compiled[3]!.subjects[1], compiled[13]!.subjects[1]);
    assert.notEqual(compiled[3]!.subjects[1], compiled[4]!.subjects[1]);
  });

  test("a set compiled after a write reuses the matchers of the set before", () => {
    // Every policy write recompiled all the regexps of every policy (2,000 policies: seconds of one
    // process's event loop at its next admin call, on every process).
    const compiler = new PolicyCompiler();
    const before = compiler.compile(many);
    const added = policy({ id: "new", subjects: ["<someone-.*>"], resources: ["<.*>"], actions: ["get"] });
    const after = compiler.compile([...many.slice(1), added]);
    assert.equal(after[0]!.resources[0], before[1]!.resources[0]);
    assert.equal(after[9]!.subjects[1], before[10]!.subjects[1]);
    assert.equal(after.length, many.length);
    // The removed policy's own pattern is not kept: compiled again, it is a new matcher.
    const again = compiler.compile(many);
    assert.notEqual(again[0]!.resources[0], before[0]!.resources[0]);
    assert.equal(again[1]!.resources[0], before[1]!.resources[0]);
  });

  test("a decision runs a matcher shared by many policies once", () => {
    let runs = 0;
    const action = (value: string) => {
      runs++;
      return value === "get";
    };
    const policies = Array.from({ length: 100 }, (_, i) => ({
      id: `p${i}`,
      allow: true,
      subjects: [(value: string) => value === `s${i}`],
      resources: [() => true],
      actions: [action],
      conditions: [],
    }));
    assert.equal(decide(policies, request({ subject: "s7" })), true);
    assert.equal(runs, 1);
    runs = 0;
    assert.equal(decide(policies, request({ subject: "s7", action: "put" })), false);
    assert.equal(runs, 1);
  });

  test("shared matchers decide as before: allow, deny over allow, no match", async () => {
    const shared = new LadonWarden({ all: async () => compilePolicies(many) });
    const own = wardenOf(...many);
    const asks = [
      request({ subject: "client-3", resource: "rn:app:tenant3:x", action: "get" }),
      request({ subject: "group-3-a", resource: "rn:app:tenant13:x", action: "delete" }),
      request({ subject: "group-0-a", resource: "rn:app:tenant150:x", action: "get" }),
      request({ subject: "client-150", resource: "rn:app:tenant150:x", action: "get" }),
      request({ subject: "client-3", resource: "rn:app:tenant4:x", action: "get" }),
      request({ subject: "client-3", resource: "rn:app:tenant3:x", action: "list" }),
    ];
    const expected = [true, true, false, false, false, false];
    for (const [i, ask] of asks.entries()) {
      assert.equal(await shared.isAllowed(ask), expected[i], `ask ${i}`);
      assert.equal(await own.isAllowed(ask), expected[i], `ask ${i}`);
    }
  });

  test("a broken pattern shared by policies still fails closed wherever it is reached", async () => {
    const broken = [
      policy({ id: "a", subjects: ["alice"], resources: ["<.*>"], actions: ["<get"] }),
      policy({ id: "b", subjects: ["bob"], resources: ["<.*>"], actions: ["<get"] }),
    ];
    const warden = new LadonWarden({ all: async () => compilePolicies(broken) });
    assert.equal(await warden.isAllowed(request({ subject: "alice" })), false);
    assert.equal(await warden.isAllowed(request({ subject: "bob" })), false);
  });
});

for (const backend of BACKENDS) {
  describe(`the policy store after a write (${backend})`, () => {
    const database = migratedDatabase(backend);

    test("reloads the set but compiles only what the write brought", async () => {
      const store = new PolicyStore(database.db);
      for (const id of ["a", "b"]) {
        await store.create(
          policyInput.parse({
            id,
            subjects: [`<${id}-.*>`],
            resources: ["rn:x:<.*>"],
            actions: ["<get|put>"],
            effect: "allow",
          }),
        );
      }
      const first = await store.all();
      await store.create(
        policyInput.parse({
          id: "c",
          subjects: ["<c-.*>"],
          resources: ["<.*>"],
          actions: ["get"],
          effect: "allow",
        }),
      );
      const second = await store.all();
      assert.equal(second.length, first.length + 1, "the write is seen");
      const byId = (set: typeof first, id: string) => set.find((p) => p.id === id)!;
      assert.equal(byId(second, "a").subjects[0], byId(first, "a").subjects[0]);
      assert.equal(byId(second, "b").actions[0], byId(first, "a").actions[0]);
      assert.equal(byId(second, "b").resources[0], byId(first, "b").resources[0]);
    });
  });
}
