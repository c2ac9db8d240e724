// The 30-day spending chart: an SVG image drawn by the server, a one-line
// summary, and the same numbers as a table for screen readers and for
// anyone who prefers figures to bars.

import { apiRequest, query } from "./billing-api.js";
import { formatMoney, toNanos } from "./billing-money.js";

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function summaryText(data) {
  const spent = formatMoney(data.totalSpent);
  const topUps = data.days.reduce((count, day) => count + day.topUps, 0);
  if (topUps === 0) {
    return `You spent ${spent} in the last 30 days and added no funds.`;
  }
  const added = formatMoney(data.totalAdded);
  const noun = topUps === 1 ? "top-up" : "top-ups";
  return `You spent ${spent} in the last 30 days, and added ${added} in ${topUps} ${noun}, marked with a triangle under the chart.`;
}

function tableRow(day) {
  const row = document.createElement("tr");
  const values = [
    dayFormat.format(new Date(`${day.date}T00:00:00Z`)),
    formatMoney(day.spent),
    day.topUps ? formatMoney(day.added) : "—",
  ];
  values.forEach((text, index) => {
    const cell = document.createElement(index === 0 ? "th" : "td");
    if (index === 0) {
      cell.scope = "row";
    } else {
      cell.className = "num";
    }
    cell.textContent = text;
    row.appendChild(cell);
  });
  return row;
}

export function setUpSpending() {
  const image = document.getElementById("spending-chart");
  const summary = document.getElementById("spending-summary");
  const body = document.querySelector("#spending-table tbody");
  let version = 0;

  async function refresh() {
    version += 1;
    const zone = timeZone();
    image.alt = "Bar chart of your spending per day over the last 30 days. The table below lists the same numbers.";
    image.src = `/billing/spending.svg${query({ timeZone: zone, v: version })}`;
    try {
      const data = await apiRequest("GET", `/v1/billing/spending${query({ timeZone: zone })}`);
      summary.textContent = summaryText(data);
      const active = data.days.filter((day) => toNanos(day.spent) !== 0n || day.topUps > 0);
      body.replaceChildren(...active.reverse().map(tableRow));
      if (active.length === 0) {
        const row = document.createElement("tr");
        const cell = document.createElement("td");
        cell.colSpan = 3;
        cell.textContent = "No spending and no top-ups in the last 30 days.";
        row.appendChild(cell);
        body.appendChild(row);
      }
    } catch (error) {
      summary.textContent = "The spending summary could not be loaded.";
    }
  }

  return { refresh };
}
