import "server-only";
import { db } from "@/lib/db/index.ts";
import { GrantStore } from "./grants.ts";

let store: GrantStore | undefined;

export function grants(): GrantStore {
  store ??= new GrantStore(db());
  return store;
}
