// The history table: newest first, paged with the API's page tokens,
// filtered by type and status, with a CSV link for exactly those filters.
// Every value from the server is written with textContent.

import { apiRequest, query } from "./billing-api.js";
import { formatMoney, formatNanos, toNanos } from "./billing-money.js";
import { shortReason } from "./billing-outcomes.js";

const PAGE_SIZE = 20;
const TYPE_LABELS = {
  CREDIT: "Top-up",
  DEBIT: "Task",
  REFUND: "Refund",
  DISPUTE: "Dispute",
  ADJUSTMENT: "Adjustment",
};
const STATUS_LABELS = {
  PENDING: "Pending",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELED: "Canceled",
};
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function cell(row, className) {
  const td = document.createElement("td");
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
  return td;
}

function line(parent, text, className) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  parent.appendChild(span);
  return span;
}

const DISPUTE_LABELS = {
  PENDING: ["Open", "The money is on hold while the bank decides"],
  COMPLETED: ["Lost", "The bank returned the payment to the card holder"],
  CANCELED: ["Closed", "Nothing was taken off your balance"],
};
const DISPUTE_NOTES = {
  PENDING: "Disputed: under review",
  COMPLETED: "Dispute lost",
  CANCELED: "Dispute closed in your favour",
};

// Notes on a completed top-up that a refund or a dispute later reversed.
// Reversal entries name their top-up in metadata.topUpId.
function reversalNote(reversals) {
  const notes = [];
  const refunds = reversals.filter((item) => item.type === "REFUND" && item.status === "COMPLETED");
  if (refunds.length > 0) {
    const total = refunds.reduce((sum, item) => sum + toNanos(item.amount), 0n);
    notes.push(`Refunded ${formatNanos(total, refunds[0].amount.currencyCode)}`);
  }
  const dispute = reversals.find((item) => item.type === "DISPUTE");
  if (dispute && DISPUTE_NOTES[dispute.status]) {
    notes.push(DISPUTE_NOTES[dispute.status]);
  }
  return notes.join(". ");
}

function statusCell(row, entry, reversals) {
  const td = cell(row, "status");
  let label = STATUS_LABELS[entry.status] || entry.status;
  let detail = "";
  if (entry.type === "DISPUTE" && DISPUTE_LABELS[entry.status]) {
    [label, detail] = DISPUTE_LABELS[entry.status];
  } else if (entry.status === "FAILED") {
    detail = shortReason(entry.failureCode, entry.failureMessage);
  } else if (entry.status === "PENDING" && entry.type === "CREDIT") {
    detail = "Waiting for the payment";
  } else if (entry.type === "CREDIT") {
    detail = reversalNote(reversals.get(entry.transactionId) || []);
  }
  line(td, label, `badge badge--${entry.status.toLowerCase()}`);
  if (detail) {
    line(td, detail, "detail");
  }
}

function signedAmount(entry) {
  if (entry.status !== "COMPLETED") {
    return formatMoney(entry.amount);
  }
  // The API gives amounts as positive and the type gives the direction,
  // except for an ADJUSTMENT, whose amount carries its own sign.
  const negative = ["DEBIT", "REFUND", "DISPUTE"].includes(entry.type);
  const nanos = negative ? -toNanos(entry.amount) : toNanos(entry.amount);
  return formatNanos(nanos, entry.amount.currencyCode, { signDisplay: "exceptZero" });
}

function renderRow(entry, reversals) {
  const row = document.createElement("tr");
  row.dataset.transactionId = entry.transactionId;
  const time = document.createElement("time");
  time.dateTime = entry.createdAt;
  time.textContent = dateFormat.format(new Date(entry.createdAt));
  cell(row).appendChild(time);

  const description = cell(row, "description");
  line(description, TYPE_LABELS[entry.type] || entry.type, "type");
  line(description, entry.description || "", "text");
  statusCell(row, entry, reversals);

  const amount = cell(row, "num");
  amount.textContent = signedAmount(entry);
  if (entry.status !== "COMPLETED") {
    amount.classList.add("muted");
  }
  const after = cell(row, "num");
  after.textContent = entry.balanceAfter ? formatMoney(entry.balanceAfter) : "—";
  return row;
}

// Map each top-up's id to the refunds and disputes that reversed it.
// NOTE: only the newest 100 refunds and disputes are read, because they are
// rare; a top-up reversed by an older one shows no note.
async function loadReversals() {
  const params = "?type=REFUND&type=DISPUTE&pageSize=100";
  const page = await apiRequest("GET", `/v1/billing/transactions${params}`);
  const byTopUp = new Map();
  page.transactions.forEach((entry) => {
    const topUpId = entry.metadata && entry.metadata.topUpId;
    if (topUpId) {
      byTopUp.set(topUpId, [...(byTopUp.get(topUpId) || []), entry]);
    }
  });
  return byTopUp;
}

export function setUpHistory() {
  const form = document.getElementById("history-filters");
  const body = document.querySelector("#history-table tbody");
  const empty = document.getElementById("history-empty");
  const newer = document.getElementById("history-newer");
  const older = document.getElementById("history-older");
  const pageLabel = document.getElementById("history-page");
  const csv = document.getElementById("history-csv");
  const state = { tokens: [""], index: 0, next: "", reversals: new Map() };

  function filters() {
    return { type: form.elements.type.value, status: form.elements.status.value };
  }

  async function load() {
    const params = { pageSize: PAGE_SIZE, pageToken: state.tokens[state.index], ...filters() };
    body.parentElement.setAttribute("aria-busy", "true");
    try {
      const page = await apiRequest("GET", `/v1/billing/transactions${query(params)}`);
      body.replaceChildren(...page.transactions.map((entry) => renderRow(entry, state.reversals)));
      state.next = page.nextPageToken;
      empty.textContent = "No transactions match these filters.";
      empty.hidden = page.transactions.length > 0;
    } catch (error) {
      body.replaceChildren();
      state.next = "";
      empty.textContent = "The history could not be loaded. Reload the page to try again.";
      empty.hidden = false;
    } finally {
      body.parentElement.removeAttribute("aria-busy");
    }
    newer.disabled = state.index === 0;
    older.disabled = !state.next;
    pageLabel.textContent = `Page ${state.index + 1}`;
  }

  async function reload() {
    state.tokens = [""];
    state.index = 0;
    csv.href = `/v1/billing/transactions.csv${query(filters())}`;
    state.reversals = await loadReversals().catch(() => new Map());
    return load();
  }

  form.addEventListener("change", reload);
  form.addEventListener("submit", (event) => event.preventDefault());
  older.addEventListener("click", () => {
    state.tokens[state.index + 1] = state.next;
    state.index += 1;
    load().then(() => (older.disabled ? newer : older).focus());
  });
  newer.addEventListener("click", () => {
    state.index -= 1;
    load().then(() => (newer.disabled ? older : newer).focus());
  });
  return { reload };
}
