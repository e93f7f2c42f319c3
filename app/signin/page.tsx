import { Suspense } from "react";
import { SignInForm } from "@/components/auth-forms";

export default function SignInPage() {
  return (
    <Suspense>
      <SignInForm />
    </Suspense>
  );
}
