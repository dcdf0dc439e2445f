import "server-only";
import { db } from "@/lib/db/index.ts";
import { UserStore } from "./store.ts";

let store: UserStore | undefined;

export function users(): UserStore {
  store ??= new UserStore(db());
  return store;
}

export type { User } from "./store.ts";
