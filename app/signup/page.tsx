import { SignUpForm } from "@/components/auth-forms";

export default function SignUpPage() {
  return <SignUpForm />;
}
