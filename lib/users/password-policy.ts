import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";
import { NEW_PASSWORD_MAX_LENGTH, NEW_PASSWORD_MIN_LENGTH } from "./password-length.ts";

/**
 * The rules for a new password, the same in the browser's strength meter and
 * on the server: 8 to 128 characters, not one of the common or breached
 * passwords of zxcvbn's shipped list (or a variant of one), and not too easy
 * to guess by zxcvbn's estimate. Nothing here calls the network.
 */
export { NEW_PASSWORD_MAX_LENGTH, NEW_PASSWORD_MIN_LENGTH };

type StrengthScore = 0 | 1 | 2 | 3 | 4;

export interface PasswordAssessment {
  /** zxcvbn's guessability score, 0 (trivial) to 4 (very hard). */
  score: StrengthScore;
  /** "Very weak" … "Strong", for the meter. */
  label: string;
  /** Why the password cannot be used, or undefined when it can. */
  problem: string | undefined;
}

const LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"] as const;
/** Fair or better; below that zxcvbn estimates fewer than 10⁸ guesses. */
const MIN_SCORE = 2;

let zxcvbn: ZxcvbnFactory | undefined;

function estimator(): ZxcvbnFactory {
  zxcvbn ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return zxcvbn;
}

/**
 * Assesses a new password, in the NFKC form it is hashed in. `context` holds
 * what the person typed elsewhere (their email, their name), which makes a
 * password easier to guess.
 */
export async function assessPassword(typed: string, context: string[] = []): Promise<PasswordAssessment> {
  // The form that is hashed (passwords.ts): a full-width "ｐａｓｓｗｏｒｄ１２３" is "password123".
  const password = typed.normalize("NFKC");
  if (password.length < NEW_PASSWORD_MIN_LENGTH) {
    return {
      score: 0,
      label: LABELS[0],
      problem: `Use at least ${NEW_PASSWORD_MIN_LENGTH} characters.`,
    };
  }
  if (password.length > NEW_PASSWORD_MAX_LENGTH) {
    return { score: 0, label: LABELS[0], problem: `Use at most ${NEW_PASSWORD_MAX_LENGTH} characters.` };
  }
  const inputs = context.flatMap((value) => [value, ...value.split(/[@\s.]+/)]).filter((v) => v.length > 2);
  const result = await estimator().check(password, inputs);
  const score = result.score as StrengthScore;
  const whole = result.sequence.find((match) => match.i === 0 && match.j === password.length - 1);
  const common = whole?.pattern === "dictionary" && whole.dictionaryName === "passwords-common";
  const personal = whole?.pattern === "dictionary" && whole.dictionaryName === "userInputs";
  if (common) {
    return {
      score: 0,
      label: LABELS[0],
      problem: "This is one of the most common passwords, which attackers try first. Choose another.",
    };
  }
  if (personal) {
    return { score: 0, label: LABELS[0], problem: "Do not use your name or email address as a password." };
  }
  if (score < MIN_SCORE) {
    return {
      score,
      label: LABELS[score],
      problem: "This password is too easy to guess. Add more words or characters.",
    };
  }
  return { score, label: LABELS[score], problem: undefined };
}
