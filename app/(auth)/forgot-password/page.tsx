import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead, TextLink } from "@/components/ui.tsx";
import { currentSession } from "@/lib/session/index.ts";
import { ForgotPasswordForm } from "./forgot-form.tsx";

export const metadata: Metadata = { title: "Forgot password" };

export default async function ForgotPasswordPage() {
  const session = await currentSession();
  return (
    <Shell>
      <Card>
        <Heading>Forgot your password?</Heading>
        <Lead>Enter your email address and we will send you a link to choose a new password.</Lead>
        <ForgotPasswordForm csrf={session.csrf} />
        <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
          Remembered it? <TextLink href="/login">Sign in</TextLink>
        </p>
      </Card>
    </Shell>
  );
}
