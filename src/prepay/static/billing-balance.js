// The balance panel and the RESTRICTED banner. Only a refund, a lost dispute
// or an admin's correction takes a balance below zero. The banner names the
// latest of those and how much brings the balance back to zero.

import { apiRequest, query } from "./billing-api.js";
import { formatMoney, formatNanos, roundUpToMinorUnit, toNanos } from "./billing-money.js";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

function describeReversal(entry) {
  const amount = formatMoney(entry.amount);
  const day = dateFormat.format(new Date(entry.createdAt));
  switch (entry.type) {
    case "REFUND":
      return `On ${day}, ${amount} was refunded to your card and taken off your balance, which left it below zero.`;
    case "DISPUTE":
      return `On ${day}, your bank reversed a payment of ${amount} after a dispute, and that credit was taken off your balance, which left it below zero.`;
    default:
      return `On ${day}, a correction of ${amount} (${entry.description || "no reason given"}) left your balance below zero.`;
  }
}

async function latestReversal() {
  const params = query({ status: "COMPLETED", pageSize: 10 });
  const types = "&type=REFUND&type=DISPUTE&type=ADJUSTMENT";
  const page = await apiRequest("GET", `/v1/billing/transactions${params}${types}`);
  return page.transactions.find(
    (entry) => entry.balanceAfter && toNanos(entry.balanceAfter) < 0n
  );
}

export function setUpBalance(config, openAddFunds) {
  const available = document.getElementById("balance-available");
  const held = document.getElementById("balance-held");
  const heldAmount = document.getElementById("balance-held-amount");
  const banner = document.getElementById("restricted");
  const addButton = document.getElementById("restricted-add");
  let suggested = null;

  addButton.addEventListener("click", () => openAddFunds(suggested));

  async function showRestriction(profile) {
    const currency = profile.availableBalance.currencyCode;
    const balance = toNanos(profile.availableBalance) + toNanos(profile.heldBalance);
    if (balance >= 0n) {
      // Restricted for review, not for a negative balance: no amount helps.
      document.getElementById("restricted-why").textContent =
        "Your account is under review. New tasks are paused until the review ends.";
      document.getElementById("restricted-fix").textContent = "";
      addButton.hidden = true;
      banner.hidden = false;
      return;
    }
    const needed = roundUpToMinorUnit(-balance, currency);
    const minimum = toNanos(config.topUpMin);
    suggested = needed > minimum ? needed : minimum;
    const reversal = await latestReversal().catch(() => null);
    document.getElementById("restricted-why").textContent = reversal
      ? describeReversal(reversal)
      : "A refund or a disputed payment took your balance below zero.";
    let fix = `New tasks are paused until your balance is back to zero. Add at least ${formatNanos(needed, currency)} to restore it.`;
    if (needed < minimum) {
      fix += ` The smallest top-up is ${formatNanos(minimum, currency)}.`;
    }
    if (!config.paymentsEnabled) {
      fix += " Adding funds is paused right now; please try again later.";
    }
    document.getElementById("restricted-fix").textContent = fix;
    addButton.textContent = `Add ${formatNanos(suggested, currency)}`;
    addButton.hidden = !config.paymentsEnabled;
    banner.hidden = false;
  }

  async function refresh() {
    const profile = await apiRequest("GET", "/v1/billing/profile");
    available.textContent = formatMoney(profile.availableBalance);
    available.classList.toggle("is-negative", toNanos(profile.availableBalance) < 0n);
    const heldNanos = toNanos(profile.heldBalance);
    heldAmount.textContent = formatMoney(profile.heldBalance);
    held.hidden = heldNanos === 0n;
    if (profile.status === "RESTRICTED") {
      await showRestriction(profile);
    } else {
      banner.hidden = true;
    }
    return profile;
  }

  return { refresh };
}
