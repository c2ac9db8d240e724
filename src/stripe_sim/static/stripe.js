/*
 * A stand-in for Stripe.js v3, served by the Stripe simulator at /v3/.
 *
 * It covers the part of Stripe.js that prepay's billing page uses:
 * Stripe(publishableKey), elements().create('card'), createPaymentMethod,
 * confirmCardPayment (with the 3D Secure challenge shown as a modal dialog
 * in the page) and retrievePaymentIntent. Results have Stripe.js's shapes:
 * {paymentMethod}, {paymentIntent} or {error: {type, code, decline_code,
 * message, payment_intent}}. As in Stripe.js, a failed call resolves with
 * {error} instead of rejecting its promise.
 *
 * Real Stripe.js draws the card fields inside an iframe, so card numbers
 * never touch the page. This stand-in draws plain inputs in the mount point,
 * which is acceptable only because the simulator accepts test cards alone.
 * It sets styles through the CSSOM, never through style attributes or
 * <style> elements, so a page with a strict Content-Security-Policy needs only
 * the simulator's origin in script-src and connect-src.
 */
(function () {
  "use strict";

  // The simulator's base URL is where this script came from, minus /v3/...
  function baseUrlOf(scriptUrl) {
    var url = new URL(scriptUrl, document.baseURI);
    var path = url.pathname.replace(/\/v3(\/(stripe\.js)?)?$/, "");
    return url.origin + path;
  }

  var script = document.currentScript;
  var BASE_URL = baseUrlOf(script && script.src ? script.src : "/v3/");

  var CONNECTION_MESSAGE =
    "We could not connect to Stripe. Check your internet connection and try again.";

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  // ---- HTTP: form-encoded calls with the publishable key, as Stripe.js makes.

  function flatten(prefix, value, out) {
    if (value === undefined || value === null) {
      return out;
    }
    if (typeof value === "object") {
      Object.keys(value).forEach(function (name) {
        flatten(prefix ? prefix + "[" + name + "]" : name, value[name], out);
      });
      return out;
    }
    out.append(prefix, String(value));
    return out;
  }

  function connectionError() {
    return { type: "api_connection_error", message: CONNECTION_MESSAGE };
  }

  // Resolve to {body} or {error}; an HTTP error carries Stripe's error object.
  function call(method, path, fields) {
    var form = flatten("", fields, new URLSearchParams());
    var url = BASE_URL + path;
    var init = { method: method, credentials: "omit" };
    if (method === "GET") {
      url += "?" + form.toString();
    } else {
      init.body = form;
    }
    return fetch(url, init)
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) {
            return { body: body };
          }
          var fallback = { type: "api_error", message: "Stripe returned HTTP " + response.status + "." };
          return { error: body.error || fallback };
        });
      })
      .catch(function () {
        return { error: connectionError() };
      });
  }

  function paymentIntentId(clientSecret) {
    if (typeof clientSecret !== "string" || clientSecret.indexOf("_secret_") < 0) {
      throw IntegrationError(
        "Invalid value for confirmCardPayment: clientSecret should be a client " +
          "secret of the form ${id}_secret_${secret}."
      );
    }
    return clientSecret.split("_secret_")[0];
  }

  // ---- Card fields: checks that Stripe.js makes before any request.

  function digitsOf(text) {
    return String(text || "").replace(/\D/g, "");
  }

  function luhnValid(number) {
    var total = 0;
    for (var i = 0; i < number.length; i += 1) {
      var digit = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      total += digit;
    }
    return number.length >= 12 && total % 10 === 0;
  }

  function brandOf(number) {
    if (/^4/.test(number)) return "visa";
    if (/^3[47]/.test(number)) return "amex";
    if (/^(5[1-5]|2[2-7])/.test(number)) return "mastercard";
    if (/^(6011|65|64[4-9])/.test(number)) return "discover";
    if (/^3(0[0-5]|[689])/.test(number)) return "diners";
    if (/^35/.test(number)) return "jcb";
    if (/^62/.test(number)) return "unionpay";
    return "unknown";
  }

  function numberLength(brand) {
    if (brand === "amex") return 15;
    if (brand === "diners") return 14;
    return 16;
  }

  function formatNumber(digits, brand) {
    var groups = brand === "amex" ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var parts = [];
    var start = 0;
    groups.forEach(function (size) {
      if (start < digits.length) {
        parts.push(digits.slice(start, start + size));
      }
      start += size;
    });
    return parts.join(" ");
  }

  function formatExpiry(digits) {
    if (digits.length === 1 && digits > "1") {
      digits = "0" + digits;
    }
    if (digits.length <= 2) {
      return digits;
    }
    return digits.slice(0, 2) + " / " + digits.slice(2, 4);
  }

  function validationError(code, message) {
    return { type: "validation_error", code: code, message: message };
  }

  function checkNumber(number, final) {
    var brand = brandOf(number);
    if (!number) {
      return final ? validationError("incomplete_number", "Your card number is incomplete.") : null;
    }
    if (number.length < numberLength(brand)) {
      return final ? validationError("incomplete_number", "Your card number is incomplete.") : null;
    }
    if (!luhnValid(number)) {
      return validationError("invalid_number", "Your card number is invalid.");
    }
    return null;
  }

  function checkExpiry(digits, final) {
    if (digits.length < 4) {
      return final
        ? validationError("incomplete_expiry", "Your card's expiration date is incomplete.")
        : null;
    }
    var month = Number(digits.slice(0, 2));
    var year = 2000 + Number(digits.slice(2, 4));
    if (month < 1 || month > 12) {
      return validationError("invalid_expiry_month", "Your card's expiration date is invalid.");
    }
    var now = new Date();
    if (year < now.getFullYear()) {
      return validationError("invalid_expiry_year_past", "Your card's expiration year is in the past.");
    }
    if (year === now.getFullYear() && month < now.getMonth() + 1) {
      return validationError("invalid_expiry_month_past", "Your card's expiration date is in the past.");
    }
    return null;
  }

  function checkCvc(digits, brand, final) {
    var needed = brand === "amex" ? 4 : 3;
    if (digits.length < needed) {
      return final
        ? validationError("incomplete_cvc", "Your card's security code is incomplete.")
        : null;
    }
    return null;
  }

  // ---- The card element: three inputs drawn inside the mount point.

  function styleInput(input, width) {
    input.style.font = "inherit";
    input.style.color = "inherit";
    input.style.background = "transparent";
    input.style.border = "0";
    input.style.padding = "0.5em 0.25em";
    input.style.minWidth = "0";
    input.style.width = width;
    input.style.boxSizing = "border-box";
  }

  function makeInput(label, autocomplete, placeholder, width) {
    var input = document.createElement("input");
    input.type = "text";
    input.inputMode = "numeric";
    input.autocomplete = autocomplete;
    input.placeholder = placeholder;
    input.spellcheck = false;
    input.setAttribute("aria-label", label);
    styleInput(input, width);
    return input;
  }

  function CardElement(options) {
    this._options = options || {};
    this._handlers = {};
    this._container = null;
    this._touched = { number: false, expiry: false, cvc: false };
    this._number = makeInput("Card number", "cc-number", "1234 1234 1234 1234", "55%");
    this._expiry = makeInput("Expiration date, MM / YY", "cc-exp", "MM / YY", "25%");
    this._cvc = makeInput("Security code (CVC)", "cc-csc", "CVC", "20%");
    this._number.maxLength = 23;
    this._expiry.maxLength = 7;
    this._cvc.maxLength = 4;
    this._bindInputs();
  }

  CardElement.prototype._bindInputs = function () {
    var self = this;
    [
      ["number", this._number],
      ["expiry", this._expiry],
      ["cvc", this._cvc],
    ].forEach(function (pair) {
      var name = pair[0];
      var input = pair[1];
      input.addEventListener("input", function () {
        self._reformat(name);
        self._emitChange();
      });
      input.addEventListener("blur", function () {
        self._touched[name] = true;
        self._setFocusClass(false);
        self._emitChange();
        self._emit("blur", { elementType: "card" });
      });
      input.addEventListener("focus", function () {
        self._setFocusClass(true);
        self._emit("focus", { elementType: "card" });
      });
    });
  };

  CardElement.prototype._reformat = function (name) {
    var number = digitsOf(this._number.value);
    var brand = brandOf(number);
    if (name === "number") {
      number = number.slice(0, 19);
      this._number.value = formatNumber(number, brand);
      if (number.length === numberLength(brand) && luhnValid(number)) {
        this._expiry.focus();
      }
    } else if (name === "expiry") {
      var expiry = digitsOf(this._expiry.value).slice(0, 4);
      this._expiry.value = formatExpiry(expiry);
      if (digitsOf(this._expiry.value).length === 4 && !checkExpiry(digitsOf(this._expiry.value), true)) {
        this._cvc.focus();
      }
    } else {
      this._cvc.value = digitsOf(this._cvc.value).slice(0, brand === "amex" ? 4 : 3);
    }
  };

  // Return {complete, empty, brand, error} over all three fields.
  CardElement.prototype._state = function (final) {
    var number = digitsOf(this._number.value);
    var expiry = digitsOf(this._expiry.value);
    var cvc = digitsOf(this._cvc.value);
    var brand = brandOf(number);
    var error =
      checkNumber(number, final || this._touched.number) ||
      checkExpiry(expiry, final || this._touched.expiry) ||
      checkCvc(cvc, brand, final || this._touched.cvc);
    var complete = !checkNumber(number, true) && !checkExpiry(expiry, true) && !checkCvc(cvc, brand, true);
    return {
      elementType: "card",
      empty: !number && !expiry && !cvc,
      complete: complete,
      brand: brand,
      error: error || undefined,
      value: { postalCode: "" },
    };
  };

  CardElement.prototype._emitChange = function () {
    var state = this._state(false);
    this._setStateClasses(state);
    this._emit("change", state);
  };

  CardElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (handler) {
      handler(payload);
    });
  };

  CardElement.prototype._setFocusClass = function (focused) {
    if (this._container) {
      this._container.classList.toggle("StripeElement--focus", focused);
    }
  };

  CardElement.prototype._setStateClasses = function (state) {
    if (!this._container) {
      return;
    }
    this._container.classList.toggle("StripeElement--empty", state.empty);
    this._container.classList.toggle("StripeElement--complete", state.complete);
    this._container.classList.toggle("StripeElement--invalid", Boolean(state.error));
    [this._number, this._expiry, this._cvc].forEach(function (input) {
      input.setAttribute("aria-invalid", state.error ? "true" : "false");
    });
  };

  CardElement.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) {
      throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements.");
    }
    var row = document.createElement("div");
    row.className = "StripeElement StripeElement--empty";
    row.style.display = "flex";
    row.style.alignItems = "center";
    row.style.gap = "0.25em";
    row.appendChild(this._number);
    row.appendChild(this._expiry);
    row.appendChild(this._cvc);
    node.appendChild(row);
    this._container = row;
    if (this._options.disabled) {
      this.update({ disabled: true });
    }
    this._emit("ready", { elementType: "card" });
  };

  CardElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  CardElement.prototype.off = function (event, handler) {
    this._handlers[event] = (this._handlers[event] || []).filter(function (h) {
      return h !== handler;
    });
    return this;
  };

  CardElement.prototype.update = function (options) {
    var disabled = Boolean(options && options.disabled);
    [this._number, this._expiry, this._cvc].forEach(function (input) {
      input.disabled = disabled;
    });
  };

  CardElement.prototype.clear = function () {
    this._number.value = "";
    this._expiry.value = "";
    this._cvc.value = "";
    this._touched = { number: false, expiry: false, cvc: false };
    this._emitChange();
  };

  CardElement.prototype.focus = function () {
    this._number.focus();
  };

  CardElement.prototype.blur = function () {
    if (this._container && this._container.contains(document.activeElement)) {
      document.activeElement.blur();
    }
  };

  CardElement.prototype.unmount = function () {
    if (this._container && this._container.parentNode) {
      this._container.parentNode.removeChild(this._container);
    }
  };

  CardElement.prototype.destroy = function () {
    this.unmount();
    this._container = null;
    this._handlers = {};
  };

  // The card's fields as /v1/payment_methods reads them, or a validation error.
  CardElement.prototype._cardFields = function () {
    var state = this._state(true);
    if (state.error) {
      return { error: state.error };
    }
    var expiry = digitsOf(this._expiry.value);
    return {
      card: {
        number: digitsOf(this._number.value),
        exp_month: String(Number(expiry.slice(0, 2))),
        exp_year: String(2000 + Number(expiry.slice(2, 4))),
        cvc: digitsOf(this._cvc.value),
      },
    };
  };

  function Elements() {
    this._card = null;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "card") {
      throw IntegrationError("The Stripe simulator's Stripe.js supports only the 'card' element.");
    }
    if (this._card) {
      throw IntegrationError("Can only create one Element of type card.");
    }
    this._card = new CardElement(options);
    return this._card;
  };

  Elements.prototype.getElement = function (type) {
    return type === "card" ? this._card : null;
  };

  // ---- The 3D Secure challenge, shown as a modal dialog in the page.

  function challengeButton(label, primary) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.style.font = "inherit";
    button.style.padding = "0.6em 1em";
    button.style.borderRadius = "0.3em";
    button.style.border = "1px solid #1a1a1a";
    button.style.background = primary ? "#1a1a1a" : "#ffffff";
    button.style.color = primary ? "#ffffff" : "#1a1a1a";
    button.style.cursor = "pointer";
    return button;
  }

  function buildChallenge(amountText) {
    var dialog = document.createElement("dialog");
    dialog.className = "StripeSimulator-3ds";
    dialog.setAttribute("aria-labelledby", "stripe-sim-3ds-title");
    dialog.setAttribute("aria-describedby", "stripe-sim-3ds-text");
    dialog.style.maxWidth = "26rem";
    dialog.style.padding = "1.5rem";
    dialog.style.border = "1px solid #1a1a1a";
    dialog.style.borderRadius = "0.5rem";
    dialog.style.background = "#ffffff";
    dialog.style.color = "#1a1a1a";
    dialog.style.font = "16px/1.4 system-ui, sans-serif";

    var title = document.createElement("h2");
    title.id = "stripe-sim-3ds-title";
    title.textContent = "3D Secure test authentication";
    title.style.margin = "0 0 0.5rem";
    title.style.fontSize = "1.25rem";

    var text = document.createElement("p");
    text.id = "stripe-sim-3ds-text";
    text.textContent =
      "Your bank asks you to confirm this payment" +
      (amountText ? " of " + amountText : "") +
      ". This is Stripe's test authentication page: choose the outcome.";

    var complete = challengeButton("Complete authentication", true);
    var fail = challengeButton("Fail authentication", false);
    var row = document.createElement("div");
    row.style.display = "flex";
    row.style.flexWrap = "wrap";
    row.style.gap = "0.75rem";
    row.style.marginTop = "1rem";
    row.appendChild(complete);
    row.appendChild(fail);

    dialog.appendChild(title);
    dialog.appendChild(text);
    dialog.appendChild(row);
    return { dialog: dialog, complete: complete, fail: fail };
  }

  function amountText(paymentIntent) {
    try {
      var currency = paymentIntent.currency.toUpperCase();
      var digits = new Intl.NumberFormat("en", { style: "currency", currency: currency })
        .resolvedOptions().maximumFractionDigits;
      var minor = String(paymentIntent.amount).padStart(digits + 1, "0");
      var decimal = digits ? minor.slice(0, -digits) + "." + minor.slice(-digits) : minor;
      return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(decimal);
    } catch (ignored) {
      return "";
    }
  }

  // Resolve to "complete" or "fail"; closing the dialog with Escape abandons
  // the challenge, which Stripe treats as a failed authentication.
  function askForChallenge(paymentIntent) {
    return new Promise(function (resolve) {
      var parts = buildChallenge(amountText(paymentIntent));
      var previousFocus = document.activeElement;
      function finish(outcome) {
        parts.dialog.close();
        parts.dialog.remove();
        if (previousFocus && previousFocus.focus) {
          previousFocus.focus();
        }
        resolve(outcome);
      }
      parts.complete.addEventListener("click", function () {
        finish("complete");
      });
      parts.fail.addEventListener("click", function () {
        finish("fail");
      });
      parts.dialog.addEventListener("cancel", function (event) {
        event.preventDefault();
        finish("fail");
      });
      document.body.appendChild(parts.dialog);
      parts.dialog.showModal();
      parts.complete.focus();
    });
  }

  // ---- Stripe(publishableKey)

  function StripeClient(key) {
    this._key = key;
  }

  StripeClient.prototype.elements = function () {
    return new Elements();
  };

  StripeClient.prototype._createCardMethod = function (element, billingDetails) {
    var fields = element._cardFields();
    if (fields.error) {
      return Promise.resolve({ error: fields.error });
    }
    var body = { key: this._key, type: "card", card: fields.card };
    if (billingDetails) {
      body.billing_details = billingDetails;
    }
    return call("POST", "/v1/payment_methods", body).then(function (result) {
      return result.error ? { error: result.error } : { paymentMethod: result.body };
    });
  };

  StripeClient.prototype.createPaymentMethod = function (data, element, extra) {
    if (typeof data === "string") {
      data = { type: data, card: element, billing_details: extra && extra.billing_details };
    }
    if (!data || data.type !== "card" || !(data.card instanceof CardElement)) {
      throw IntegrationError("createPaymentMethod needs {type: 'card', card: cardElement}.");
    }
    return this._createCardMethod(data.card, data.billing_details);
  };

  // Resolve to the id of the PaymentMethod to confirm with, or {error}.
  StripeClient.prototype._paymentMethodFor = function (data) {
    var method = data && data.payment_method;
    if (!method || typeof method === "string") {
      return Promise.resolve({ id: method || null });
    }
    if (!(method.card instanceof CardElement)) {
      throw IntegrationError("payment_method.card must be a card Element.");
    }
    return this._createCardMethod(method.card, method.billing_details).then(function (result) {
      return result.error ? { error: result.error } : { id: result.paymentMethod.id };
    });
  };

  StripeClient.prototype.retrievePaymentIntent = function (clientSecret) {
    var id = paymentIntentId(clientSecret);
    var fields = { key: this._key, client_secret: clientSecret };
    return call("GET", "/v1/payment_intents/" + encodeURIComponent(id), fields).then(function (result) {
      return result.error ? { error: result.error } : { paymentIntent: result.body };
    });
  };

  // Turn a PaymentIntent that confirm left behind into Stripe.js's result.
  function settle(paymentIntent) {
    if (paymentIntent.status !== "requires_payment_method") {
      return { paymentIntent: paymentIntent };
    }
    var failure = paymentIntent.last_payment_error || {
      type: "invalid_request_error",
      code: "payment_intent_authentication_failure",
      message:
        "We are unable to authenticate your payment method. Please choose a " +
        "different payment method and try again.",
    };
    var error = Object.assign({}, failure, { payment_intent: paymentIntent });
    return { error: error };
  }

  // The simulator's control endpoint returns the PaymentIntent after the challenge.
  StripeClient.prototype._authenticate = function (paymentIntent, clientSecret) {
    return askForChallenge(paymentIntent).then(function (outcome) {
      var path = "/_sim/payment_intents/" + encodeURIComponent(paymentIntent.id) + "/three_d_secure";
      var fields = { client_secret: clientSecret, outcome: outcome };
      return call("POST", path, fields).then(function (result) {
        return result.error ? { error: result.error } : settle(result.body);
      });
    });
  };

  StripeClient.prototype.confirmCardPayment = function (clientSecret, data, options) {
    var self = this;
    var id = paymentIntentId(clientSecret);
    var handleActions = !options || options.handleActions !== false;
    return this._paymentMethodFor(data).then(function (method) {
      if (method.error) {
        return { error: method.error };
      }
      // Stripe.js requests next_action "use_stripe_sdk" so that it can run
      // the 3D Secure challenge in the page instead of redirecting.
      var fields = { key: self._key, client_secret: clientSecret, use_stripe_sdk: "true" };
      if (method.id) {
        fields.payment_method = method.id;
      }
      if (data && data.return_url) {
        fields.return_url = data.return_url;
      }
      var path = "/v1/payment_intents/" + encodeURIComponent(id) + "/confirm";
      return call("POST", path, fields).then(function (result) {
        if (result.error) {
          return { error: result.error };
        }
        var paymentIntent = result.body;
        if (paymentIntent.status === "requires_action" && handleActions) {
          return self._authenticate(paymentIntent, clientSecret);
        }
        return settle(paymentIntent);
      });
    });
  };

  window.Stripe = function Stripe(publishableKey) {
    if (typeof publishableKey !== "string" || !publishableKey) {
      throw IntegrationError("Please call Stripe() with your publishable key. You used an empty string.");
    }
    if (/^(sk|rk)_/.test(publishableKey)) {
      throw IntegrationError("You should not use your secret key with Stripe.js. Please pass a publishable key instead.");
    }
    return new StripeClient(publishableKey);
  };
  window.Stripe.version = 3;
})();
