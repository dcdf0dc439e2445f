/**
 * The look of every page and email, in one place. To rebrand Portico, change
 * this file and put your logo at the path `logo.src` names (under
 * `public/brand/`, served as an asset); nothing else of the app refers to a
 * name, a logo or a colour (tests/consent-app/customizing.test.ts checks the
 * name). Colours are CSS colours; each
 * scheme follows the visitor's system setting (light or dark).
 */
export const brand = {
  /** Shown in the header, the page titles and the consent text ("… your Portico account"). */
  name: "Portico",
  /** A square image; SVG scales best. */
  logo: { src: "/brand/logo.svg", alt: "Portico" },
  colors: {
    light: {
      /** Buttons, links, focus rings, ticked boxes. */
      primary: "#4338ca",
      /** Primary, hovered. */
      primaryHover: "#3730a3",
      /** Text on primary. */
      onPrimary: "#ffffff",
      /** Quiet highlights: the logo tile, selected rows. */
      tint: "#eef2ff",
      /** The page behind the cards. */
      background: "#f8fafc",
    },
    dark: {
      primary: "#a5b4fc",
      primaryHover: "#c7d2fe",
      onPrimary: "#1e1b4b",
      tint: "#1e1b4b",
      background: "#020617",
    },
  },
} as const;

type Palette = Record<keyof (typeof brand)["colors"]["light"], string>;

function variables(palette: Palette): string {
  return [
    `--brand-primary:${palette.primary}`,
    `--brand-primary-hover:${palette.primaryHover}`,
    `--brand-on-primary:${palette.onPrimary}`,
    `--brand-tint:${palette.tint}`,
    `--brand-background:${palette.background}`,
  ].join(";");
}

/** The brand colours as CSS custom properties, which app/globals.css maps onto Tailwind's theme. */
export function brandStylesheet(): string {
  return `:root{${variables(brand.colors.light)}}@media (prefers-color-scheme: dark){:root{${variables(brand.colors.dark)}}}`;
}
