/** A client's logo, or its initial when it has none: the consent screen's (large) and the account list's (small). */
const SIZES = {
  small: { px: 40, img: "size-10 shrink-0 rounded-lg", initial: "size-10 shrink-0 rounded-lg" },
  large: { px: 64, img: "size-16 rounded-xl", initial: "size-16 rounded-xl text-2xl" },
} as const;

/**
 * The name's first character, whole: a code point (not half of an emoji's
 * surrogate pair, which shows as "\uFFFD") with the marks that go with it (an
 * accent typed apart, an emoji's variation selector).
 */
function initialOf(name: string): string {
  return (name.match(/^.\p{M}*/su)?.[0] ?? "").toUpperCase();
}

export function ClientLogo({
  logoUri,
  name,
  alt,
  size,
}: {
  logoUri?: string | undefined;
  name: string;
  alt: string;
  size: keyof typeof SIZES;
}) {
  const { px, img, initial } = SIZES[size];
  if (logoUri) {
    return (
      // biome-ignore lint/performance/noImgElement: a logo on the client's own site, at its own size
      <img
        src={logoUri}
        alt={alt}
        width={px}
        height={px}
        referrerPolicy="no-referrer"
        className={`${img} object-contain`}
      />
    );
  }
  return (
    <div
      aria-hidden="true"
      className={`flex ${initial} items-center justify-center bg-brand-tint font-semibold text-brand`}
    >
      {initialOf(name)}
    </div>
  );
}
