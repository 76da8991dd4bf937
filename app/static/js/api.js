/*
 * The /api/auth calls, the CSRF token every unsafe request carries, and what a failed
 * call means to a person. A passkey ceremony is two calls with the browser's WebAuthn step
 * between them, encoded by @simplewebauthn/browser; the browser's refusal fails it too.
 */
(function ($, window) {
  'use strict';

  const SAFE_METHODS = /^(GET|HEAD|OPTIONS|TRACE)$/i;
  const TIMEOUT_MS = 20000;
  const ROOT = $('meta[name="api-root"]').attr('content') || '/api/auth';
  // PUBLIC_URL, the address people use: the one where passkeys work (their RP ID is its host).
  const PUBLIC_URL = $('meta[name="public-url"]').attr('content') || '';
  const $token = $('meta[name="csrf-token"]');

  const MESSAGES = {
    network: 'Cannot reach the server. Check your connection and try again.',
    timeout: 'The server took too long to answer. Please try again.',
    server: 'Something went wrong on our side. Please try again.',
    staleToken: 'This page is out of date. Reload it and try again.',
    unexpected: 'Something unexpected happened. Please try again.'
  };

  // What the browser's refusal of a WebAuthn step means, by the error's name (no request
  // goes to the server after one).
  const PASSKEY_MESSAGES = {
    unsupported: 'This browser does not support passkeys.',
    cancelled: 'No passkey was used: it was cancelled, it timed out, or this device has no ' +
      'passkey for this account.',
    notAdded: 'No passkey was added: it was cancelled or it timed out.',
    registered: 'This device already holds a passkey for your account.',
    insecure: 'Passkeys do not work at this address. Open the site at its usual address and try again.',
    elsewhere: 'Passkeys do not work at this address. Open the site at {address} and try again.',
    other: 'The passkey could not be used in this browser. Please try again.'
  };
  const webauthn = window.SimpleWebAuthnBrowser;

  // The browser refused the domain (an IP address, another name for the host): name the
  // address to open instead, unless this page is already there.
  function insecureMessage() {
    let origin = '';
    try {
      origin = new window.URL(PUBLIC_URL).origin;
    } catch {
      // No PUBLIC_URL, or not an address: no other address to name.
      return PASSKEY_MESSAGES.insecure;
    }
    if (origin === window.location.origin) {
      return PASSKEY_MESSAGES.insecure;
    }
    return PASSKEY_MESSAGES.elsewhere.replace('{address}', PUBLIC_URL);
  }

  // The meta tag is the one place the token lives: read on every request, replaced
  // whenever the server starts a new session and hands back a new token.
  function adoptToken(body) {
    if (body && typeof body.csrf_token === 'string' && body.csrf_token) {
      $token.attr('content', body.csrf_token);
    }
  }

  $.ajaxSetup({
    timeout: TIMEOUT_MS,
    beforeSend: function (xhr, settings) {
      if (!settings.crossDomain && !SAFE_METHODS.test(settings.type)) {
        xhr.setRequestHeader('X-CSRFToken', $token.attr('content'));
      }
    }
  });

  function errorsOf(xhr) {
    const body = xhr.responseJSON;
    return (body && body.errors) || {};
  }

  // The server's refusal of the token (missing, or not this session's): a 403 of its own type.
  function isCsrfFailure(xhr) {
    return xhr.status === 403 && errorsOf(xhr).type === 'CSRF failed';
  }

  function refreshToken() {
    return $.ajax({ url: ROOT + '/csrf', method: 'GET', dataType: 'json' }).done(adoptToken);
  }

  function send(method, path, fields) {
    const options = { url: ROOT + path, method: method, dataType: 'json' };
    if (fields) {
      options.contentType = 'application/json';
      options.data = JSON.stringify(fields);
      options.processData = false;
    }
    return $.ajax(options);
  }

  // An unsafe request (POST, DELETE), adopting the token a success hands back. A CSRF
  // failure means the session changed under this page (another tab logged in or out):
  // take that session's token and try once more.
  function unsafe(method, path, fields) {
    const result = $.Deferred();
    function attempt(mayRetry) {
      send(method, path, fields)
        .done(function (body) {
          adoptToken(body);
          result.resolve(body);
        })
        .fail(function (xhr) {
          if (mayRetry && isCsrfFailure(xhr)) {
            refreshToken()
              .done(function () { attempt(false); })
              .fail(function () { result.reject(xhr); });
          } else {
            result.reject(xhr);
          }
        });
    }
    attempt(true);
    return result.promise();
  }

  function post(path, fields) {
    return unsafe('POST', path, fields);
  }

  function get(path) {
    return $.ajax({ url: ROOT + path, method: 'GET', dataType: 'json' });
  }

  function retryAfterText(header) {
    const seconds = parseInt(header, 10);
    if (!(seconds > 0)) {
      return 'Please wait a moment and try again.';
    }
    if (seconds < 90) {
      return 'Please wait ' + seconds + (seconds === 1 ? ' second' : ' seconds') + ' and try again.';
    }
    const minutes = Math.ceil(seconds / 60);
    return 'Please wait ' + minutes + ' minutes and try again.';
  }

  function supportsPasskeys() {
    return Boolean(webauthn && webauthn.browserSupportsWebAuthn());
  }

  // The browser's refusal, as a failure that ``failure`` reads: no status, a message.
  function refusal(error, registering) {
    const name = (error && error.name) || '';
    const code = (error && error.code) || '';
    let key = 'other';
    if (name === 'NotAllowedError' || name === 'AbortError' ||
        code === 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY' || code === 'ERROR_CEREMONY_ABORTED') {
      key = registering ? 'notAdded' : 'cancelled';
    } else if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
      key = registering ? 'registered' : 'other';
    } else if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
      key = 'insecure';
    }
    const message = key === 'insecure' ? insecureMessage() : PASSKEY_MESSAGES[key];
    return { passkeyRefusal: true, message: message };
  }

  // The browser's step: ``start(optionsJSON)`` (a native promise), as a jQuery promise.
  function browserStep(start, optionsJSON, registering) {
    const result = $.Deferred();
    if (!supportsPasskeys()) {
      return result.reject({ passkeyRefusal: true, message: PASSKEY_MESSAGES.unsupported }).promise();
    }
    start({ optionsJSON: optionsJSON }).then(function (credential) {
      result.resolve(credential);
    }, function (error) {
      result.reject(refusal(error, registering));
    });
    return result.promise();
  }

  // ``begin()`` for the options, the browser's answer, then ``finish(fields)`` with it as
  // ``credential`` beside ``extra``: the promise of the last answer, or of the first failure.
  function ceremony(begin, finish, registering) {
    return function (extra) {
      const start = webauthn && (registering ? webauthn.startRegistration : webauthn.startAuthentication);
      return begin()
        .then(function (body) { return browserStep(start, body.data, registering); })
        .then(function (credential) {
          return finish($.extend({}, extra || {}, { credential: credential }));
        });
    };
  }

  // What a failed call means: a general message, and the field errors of a 409 or 422.
  function failure(xhr) {
    if (xhr && xhr.passkeyRefusal) {
      return { message: xhr.message };
    }
    const errors = errorsOf(xhr);
    if (xhr.status === 0) {
      return { message: xhr.statusText === 'timeout' ? MESSAGES.timeout : MESSAGES.network };
    }
    if (xhr.status === 429) {
      return { message: 'Too many attempts. ' + retryAfterText(xhr.getResponseHeader('Retry-After')) };
    }
    if (xhr.status >= 500) {
      return { message: errors.message || MESSAGES.server };
    }
    if (isCsrfFailure(xhr)) {
      return { message: MESSAGES.staleToken };
    }
    return { message: errors.message || MESSAGES.unexpected, fields: errors.fields || null };
  }

  window.AuthApi = {
    verifyAuth: function () { return get('/verify_auth'); },
    login: function (fields) { return post('/login', fields); },
    signup: function (fields) { return post('/signup', fields); },
    logout: function () { return post('/logout'); },
    requestReset: function (fields) { return post('/reset_password/request', fields); },
    resetPassword: function (fields) { return post('/reset_password', fields); },
    confirmEmail: function (token) { return post('/confirm_email', { token: token }); },
    confirmEmailChange: function (token) { return post('/change_email/confirm', { token: token }); },
    resendConfirmation: function () { return post('/confirm_email/resend'); },
    changePassword: function (fields) { return post('/change_password', fields); },
    changeEmail: function (fields) { return post('/change_email', fields); },
    reauthenticate: function (fields) { return post('/reauthenticate', fields); },
    getSessions: function () { return get('/sessions'); },
    endSession: function (id) {
      return unsafe('DELETE', '/sessions/' + encodeURIComponent(id));
    },
    logoutAll: function () { return post('/logout_all'); },
    verifyMfa: function (fields) { return post('/mfa/verify', fields); },
    getMfa: function () { return get('/mfa'); },
    setupTotp: function () { return post('/mfa/totp/setup'); },
    confirmTotp: function (fields) { return post('/mfa/totp/confirm', fields); },
    disableTotp: function (fields) { return post('/mfa/totp/disable', fields); },
    renewRecoveryCodes: function () { return post('/mfa/recovery_codes'); },
    getPasskeys: function () { return get('/passkeys'); },
    beginPasskeyRegistration: function () { return post('/passkeys/register/begin'); },
    finishPasskeyRegistration: function (fields) { return post('/passkeys/register/finish', fields); },
    renamePasskey: function (id, fields) {
      return unsafe('PATCH', '/passkeys/' + encodeURIComponent(id), fields);
    },
    removePasskey: function (id) {
      return unsafe('DELETE', '/passkeys/' + encodeURIComponent(id));
    },
    beginPasskeyLogin: function () { return post('/passkeys/login/begin'); },
    finishPasskeyLogin: function (fields) { return post('/passkeys/login/finish', fields); },
    beginMfaPasskey: function () { return post('/mfa/webauthn/begin'); },
    finishMfaPasskey: function (fields) { return post('/mfa/webauthn/finish', fields); },
    beginReauthPasskey: function () { return post('/reauthenticate/webauthn/begin'); },
    finishReauthPasskey: function (fields) { return post('/reauthenticate/webauthn/finish', fields); },
    exportAccount: function () { return get('/account/export'); },
    getTokens: function () { return get('/tokens'); },
    createToken: function (fields) { return post('/tokens', fields); },
    revokeToken: function (id) {
      return unsafe('DELETE', '/tokens/' + encodeURIComponent(id));
    },
    deleteAccount: function (fields) { return post('/delete_account', fields); },
    // Whether this browser can use passkeys at all (the page offers them only then).
    supportsPasskeys: supportsPasskeys,
    // ``ceremony(begin, finish, registering)(extra)``: options, the browser, the verdict.
    ceremony: ceremony,
    // The 403 of an action that wants the password again (``reauthenticate`` gives it).
    needsReauthentication: function (xhr) {
      return xhr.status === 403 && errorsOf(xhr).type === 'Reauthentication required';
    },
    // The 403 of adding a second factor or a passkey before the address is confirmed.
    emailNotConfirmed: function (xhr) {
      return xhr.status === 403 && errorsOf(xhr).type === 'Email not confirmed';
    },
    // The 401 of a login's second step that ended the wait (too many wrong codes, or it
    // timed out): the login starts again from the password. A wrong code is a plain 401.
    endsSecondStep: function (xhr) {
      return xhr.status === 401 && errorsOf(xhr).type === 'Login ended';
    },
    // The 401 of a passkey the server did not accept, whatever was wrong with it: not a logout.
    passkeyRefused: function (xhr) {
      return xhr.status === 401 && errorsOf(xhr).type === 'Passkey refused';
    },
    // The browser's own refusal of a passkey step (cancelled, none on this device, …).
    browserRefused: function (failed) { return Boolean(failed && failed.passkeyRefusal); },
    // The 400 of a mailed link's token that is no good (used, expired or never issued).
    isRefusedLink: function (xhr) { return xhr.status === 400; },
    // The 403 of a CSRF token still refused after the one retry: not a wrong password.
    isCsrfFailure: isCsrfFailure,
    failure: failure
  };
}(window.jQuery, window));
