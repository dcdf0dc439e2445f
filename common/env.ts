import { z } from "zod";

/**
 * The environment variables both halves read, validated the same way in
 * each, so a value one half accepts the other never refuses.
 */
export const sharedEnvironment = {
  DATABASE_URL: z
    .string()
    .default("file:./data/portico.db")
    .refine(
      (value) => value.startsWith("file:") || /^postgres(ql)?:\/\//.test(value),
      "DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)",
    ),
  SYSTEM_SECRET: z.string().min(16, "SYSTEM_SECRET must be at least 16 characters").optional(),
  COOKIE_SECRET: z.string().min(32, "COOKIE_SECRET must be at least 32 characters").optional(),
  PORT: z
    .string()
    .default("3000")
    .refine((value) => /^\d+$/.test(value) && Number(value) < 65536, "PORT must be a port number"),
};

/** An optional absolute http(s) URL (ISSUER, CONSENT_URL, HYDRA_URL). */
export const httpUrl = (name: string) =>
  z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: `${name} must be an absolute http(s) URL`,
    })
    .optional();
