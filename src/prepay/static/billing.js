// The billing page's entry point: load the configuration, then the balance,
// the spending chart and the history, and set up "Add funds" when card
// payments are on and Stripe.js has loaded.

import { apiRequest } from "./billing-api.js";
import { setUpAddFunds } from "./billing-add-funds.js";
import { setUpBalance } from "./billing-balance.js";
import { setUpHistory } from "./billing-history.js";
import { setUpSpending } from "./billing-spending.js";

function pageNotice() {
  const region = document.getElementById("page-notice");
  return {
    show(result) {
      const title = document.createElement("strong");
      title.textContent = result.title;
      const text = document.createElement("span");
      text.textContent = ` ${result.text}`;
      region.className = `notice notice--${result.kind}`;
      region.replaceChildren(title, text);
    },
  };
}

function showPaymentsOff(openButton) {
  document.getElementById("payments-off").hidden = false;
  openButton.hidden = true;
}

async function main() {
  const notice = pageNotice();
  const openButton = document.getElementById("add-funds-open");
  let config;
  try {
    config = await apiRequest("GET", "/v1/billing/config");
  } catch (error) {
    notice.show({ kind: "error", title: "The page could not load.", text: "Reload it to try again." });
    return;
  }

  let addFunds = null;
  const openAddFunds = (nanos) => addFunds && addFunds.open(nanos);
  const balance = setUpBalance(config, openAddFunds);
  const history = setUpHistory();
  const spending = setUpSpending();
  const loaded = Promise.all([balance.refresh(), history.reload(), spending.refresh()]);
  loaded.catch(() => {
    notice.show({ kind: "error", title: "Your balance could not load.", text: "Reload the page to try again." });
  });

  if (!config.paymentsEnabled) {
    showPaymentsOff(openButton);
  } else if (typeof window.Stripe !== "function") {
    openButton.disabled = true;
    notice.show({
      kind: "error",
      title: "The card form could not load.",
      text: "Check your connection and reload the page to add funds.",
    });
  } else {
    addFunds = setUpAddFunds({
      config,
      stripe: window.Stripe(config.publishableKey),
      async refreshAfterCredit() {
        const profile = await balance.refresh();
        history.reload();
        spending.refresh();
        return profile;
      },
      notifyPage: notice.show,
      onPaymentsDisabled: () => showPaymentsOff(openButton),
    });
    openButton.addEventListener("click", () => openAddFunds());
  }
  await loaded.catch(() => null);
  document.body.dataset.ready = "true";
}

main();
