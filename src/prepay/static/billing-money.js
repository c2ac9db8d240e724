// Exact money for the billing page. Amounts arrive as google.type.Money
// ({currencyCode, units: "50", nanos: 0}) and are never turned into a float:
// arithmetic uses BigInt nanos (10^-9 of the major unit), and display hands
// Intl.NumberFormat a decimal string, which it formats without rounding
// through a double.

const NANOS_PER_UNIT = 1000000000n;
const MAX_DISPLAY_DIGITS = 9;

export function toNanos(money) {
  return BigInt(money.units || "0") * NANOS_PER_UNIT + BigInt(money.nanos || 0);
}

// BigInt division truncates toward zero, so nanos keep the sign of units.
export function fromNanos(nanos, currencyCode) {
  return {
    currencyCode,
    units: (nanos / NANOS_PER_UNIT).toString(),
    nanos: Number(nanos % NANOS_PER_UNIT),
  };
}

export function decimalString(nanos) {
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const units = (magnitude / NANOS_PER_UNIT).toString();
  const fraction = (magnitude % NANOS_PER_UNIT)
    .toString()
    .padStart(9, "0")
    .replace(/0+$/, "");
  const sign = negative ? "-" : "";
  return fraction ? `${sign}${units}.${fraction}` : `${sign}${units}`;
}

// The currency's own number of decimals in CLDR: 2 for USD, 0 for JPY.
export function fractionDigits(currency) {
  const format = new Intl.NumberFormat("en", { style: "currency", currency });
  return format.resolvedOptions().maximumFractionDigits;
}

// Format with the currency's decimals, keeping any finer digits visible so a
// 0.00042 task cost never shows as 0.00. Options: signDisplay as in
// Intl.NumberFormat, and trimWhole to write 25.00 as 25.
export function formatNanos(nanos, currency, options = {}) {
  const digits = fractionDigits(currency);
  const whole = nanos % NANOS_PER_UNIT === 0n;
  const format = new Intl.NumberFormat(undefined, {
    style: "currency",
    currency,
    minimumFractionDigits: options.trimWhole && whole ? 0 : digits,
    maximumFractionDigits: Math.max(digits, MAX_DISPLAY_DIGITS),
    signDisplay: options.signDisplay || "auto",
  });
  return format.format(decimalString(nanos));
}

export function formatMoney(money, options = {}) {
  return formatNanos(toNanos(money), money.currencyCode, options);
}

function separators() {
  const parts = new Intl.NumberFormat(undefined).formatToParts(12345.6);
  const find = (type) => (parts.find((part) => part.type === type) || {}).value;
  return { group: find("group") || ",", decimal: find("decimal") || "." };
}

function escapeForRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isSpace(text) {
  return /^[\s\u00a0\u202f]$/.test(text);
}

// Parse what the user typed as an amount in `currency`, in the browser's
// number format; return {nanos} or {error} with a sentence for the user.
// Group separators count only in groups of three, so "50.5" in a locale that
// groups with "." is rejected instead of read as 505.
export function parseAmount(text, currency) {
  const { group, decimal } = separators();
  let cleaned = String(text).trim();
  let unitsPattern = "\\d+";
  if (isSpace(group)) {
    cleaned = cleaned.replace(/[\s\u00a0\u202f]/g, "");
  } else {
    unitsPattern = `\\d{1,3}(?:${escapeForRegExp(group)}\\d{3})+|\\d+`;
  }
  if (!cleaned) {
    return { error: "Enter an amount." };
  }
  const decimalPattern = escapeForRegExp(decimal);
  const pattern = new RegExp(`^(${unitsPattern})(?:${decimalPattern}(\\d*))?$`);
  const match = pattern.exec(cleaned);
  if (!match) {
    return { error: `Enter the amount as a number, such as 50 or 50${decimal}25.` };
  }
  const units = isSpace(group) ? match[1] : match[1].split(group).join("");
  const fraction = match[2] || "";
  const digits = fractionDigits(currency);
  if (fraction.replace(/0+$/, "").length > digits) {
    const places = digits === 0 ? "whole units" : `at most ${digits} decimal places`;
    return { error: `Use ${places} for ${currency}.` };
  }
  if (units.length > 15) {
    return { error: "The amount is too large." };
  }
  const fractionNanos = BigInt(fraction.padEnd(9, "0").slice(0, 9));
  return { nanos: BigInt(units) * NANOS_PER_UNIT + fractionNanos };
}

// Round a positive amount of nanos up to the currency's smallest unit.
export function roundUpToMinorUnit(nanos, currency) {
  const step = 10n ** BigInt(9 - fractionDigits(currency));
  const rest = nanos % step;
  return rest === 0n ? nanos : nanos - rest + step;
}

// The amount as an input field shows it: "50" or "50.25", no grouping.
export function inputText(nanos, currency) {
  const digits = fractionDigits(currency);
  const text = decimalString(nanos);
  if (!text.includes(".") || digits === 0) {
    return text;
  }
  const [units, fraction] = text.split(".");
  return `${units}${separators().decimal}${fraction.padEnd(digits, "0")}`;
}
