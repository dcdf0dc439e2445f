"use client";

import { type ChangeEvent, useEffect, useRef, useState } from "react";
import { TextField } from "@/components/ui.tsx";
import { NEW_PASSWORD_MAX_LENGTH, NEW_PASSWORD_MIN_LENGTH } from "@/lib/users/password-length.ts";
import type { PasswordAssessment } from "@/lib/users/password-policy.ts";

/**
 * A new-password input with a strength meter. The meter is a convenience
 * that runs the server's own rules (loaded on first keystroke); the server
 * checks the same rules on submit and answers in `error` without JavaScript.
 * `context` names other fields of the form (email, name) that make a
 * password easier to guess.
 */
export function NewPasswordField({
  label,
  name,
  error,
  context = [],
}: {
  label: string;
  name: string;
  error?: string;
  context?: string[];
}) {
  const [assessment, setAssessment] = useState<PasswordAssessment | undefined>();
  const latest = useRef(0);
  const [value, setValue] = useState("");
  const contextFields = context.join(" ");

  // What was typed before the page's script ran fired no change event here: start from it.
  useEffect(() => {
    const input = document.getElementById(`field-${name}`);
    if (input instanceof HTMLInputElement && input.value) setValue(input.value);
  }, [name]);

  useEffect(() => {
    const run = ++latest.current;
    if (!value) {
      setAssessment(undefined);
      return;
    }
    const form = document.getElementById(`field-${name}`)?.closest("form");
    const others = contextFields
      .split(" ")
      .map((field) => form?.elements.namedItem(field))
      .map((element) => (element instanceof HTMLInputElement ? element.value : ""))
      .filter(Boolean);
    void import("@/lib/users/password-policy.ts")
      .then(({ assessPassword }) => assessPassword(value, others))
      .then((result) => {
        if (run === latest.current) setAssessment(result);
      });
  }, [value, name, contextFields]);

  return (
    <div className="space-y-2">
      <TextField
        label={label}
        name={name}
        type="password"
        autoComplete="new-password"
        required
        minLength={NEW_PASSWORD_MIN_LENGTH}
        maxLength={NEW_PASSWORD_MAX_LENGTH}
        hint={`At least ${NEW_PASSWORD_MIN_LENGTH} characters. A few unrelated words make a strong password.`}
        error={error}
        onChange={(event: ChangeEvent<HTMLInputElement>) => setValue(event.target.value)}
      />
      {assessment && (
        <div className="space-y-1" aria-live="polite">
          <div className="flex items-center gap-3 text-xs">
            <meter
              min={0}
              max={4}
              low={2}
              high={3}
              optimum={4}
              value={assessment.score}
              aria-label="Password strength"
              className="h-2 flex-1"
            />
            <span className="font-medium">{assessment.label}</span>
          </div>
          {assessment.problem && (
            <p className="text-xs text-slate-600 dark:text-slate-400">{assessment.problem}</p>
          )}
        </div>
      )}
    </div>
  );
}
