import type { Metadata, Viewport } from "next";
import Link from "next/link";
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
          <footer className="site-footer">
            <p>
              Tandem is a demonstration copy-trading platform: accounts hold paper money and no real
              orders reach a market. Nothing here is investment advice. Copy trading carries a high
              risk of losing money.
            </p>
            <p>
              <Link href="/leaders">Leaders</Link> · Terms of copying are shown before every copy ·
              © {2026} Tandem
            </p>
          </footer>
        </Providers>
      </body>
    </html>
  );
}
