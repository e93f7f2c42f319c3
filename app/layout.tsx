import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Nav } from "@/components/nav";
import { Providers } from "@/components/providers";
import { getViewer } from "@/server/auth/session";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Tandem — copy trading with honest numbers", template: "%s · Tandem" },
  description: "Follow experienced traders with your own risk limits.",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  return (
    <html lang="en">
      <body>
        <Providers>
          <Nav viewer={viewer} />
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
