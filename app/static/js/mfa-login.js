/*
 * The second step of a login for an account with two-factor authentication: after the
 * password's 202, ask for a code from the app, or a recovery code, and finish the login.
 * The 202 lists the account's methods: a passkey (passkey-login.js) where it has one and
 * the browser can use it, the app's code only where TOTP is on.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const page = window.AuthPage;
  const session = window.AuthSession;
  // The step's form, its two inputs and the passkey's form, found once the document is ready.
  let $form = null;
  let $code = null;
  let $recovery = null;
  let $passkeyForm = null;
  let usingRecovery = false;
  // What this login can be finished with; a 202 without a list: a code, or a recovery code.
  let methods = ['totp', 'recovery_code'];

  function offers(method) {
    return $.inArray(method, methods) !== -1;
  }

  function passkeyOffered() {
    return offers('webauthn') && api.supportsPasskeys();
  }

  // Which of the two inputs shows (and goes to the server), each emptied on the swap.
  // Without TOTP the form takes only a recovery code, and where a passkey can finish the
  // login it waits to be asked for one.
  function use(recovery) {
    const withCode = offers('totp');
    const passkey = passkeyOffered();
    const showForm = recovery || withCode || !passkey;
    usingRecovery = recovery || !withCode;
    $form.trigger('reset');
    forms.clearErrors($form);
    forms.clearErrors($passkeyForm);
    $form.prop('hidden', !showForm);
    $('#mfa-code-group').prop('hidden', usingRecovery);
    $('#mfa-recovery-group').prop('hidden', !usingRecovery);
    $('#mfa-use-recovery').prop('hidden', (showForm && usingRecovery) || !offers('recovery_code'));
    $('#mfa-use-code').prop('hidden', !usingRecovery || !withCode);
    $passkeyForm.prop('hidden', !passkey);
    if (!showForm) {
      return $passkeyForm.find('[type=submit]');
    }
    return usingRecovery ? $recovery : $code;
  }

  // Back to the login form, with the reason in its alert region.
  function loginAgain(message) {
    session.showLoggedOut(true);
    forms.showAlert($('#login-form'), [message]);
  }

  window.AuthMfaLogin = {
    // The step after a password that wants a second factor, by the 202's ``methods``:
    // the code field has focus, or the passkey's button where there is no code to type.
    ask: function (offered) {
      methods = Array.isArray(offered) && offered.length ? offered : ['totp', 'recovery_code'];
      page.show('mfa', use(false));
    },
    loginAgain: loginAgain
  };

  $(function () {
    $form = $('#mfa-form');
    $code = $form.find('[name=code]');
    $recovery = $form.find('[name=recovery_code]');
    $passkeyForm = $('#mfa-passkey-form');

    function verify(fields) {
      return api.verifyMfa(usingRecovery
        ? { recovery_code: fields.recovery_code.trim() }
        : { code: fields.code.replace(/\s+/g, '') });
    }

    forms.handle($form, verify, function (body) {
      session.afterLogin(body.data);
    }, function (xhr) {
      if (xhr.status !== 401) {
        return false;
      }
      const failure = api.failure(xhr);
      if (api.endsSecondStep(xhr)) {
        loginAgain(failure.message);
        return true;
      }
      // A wrong code: under the field in use; the step stays for another try.
      const fields = {};
      fields[usingRecovery ? 'recovery_code' : 'code'] = [failure.message];
      forms.showErrors($form, { message: failure.message, fields: fields });
      return true;
    });

    $('#mfa-use-recovery').on('click', function () {
      use(true).trigger('focus');
    });

    $('#mfa-use-code').on('click', function () {
      use(false).trigger('focus');
    });

    $('#mfa-cancel').on('click', function () {
      session.showLoggedOut(true);
    });

    // Whatever view comes next, no code lingers in this one.
    $(window.document).on('page:show', function (_, name) {
      if (name !== 'mfa') {
        use(false);
      }
    });
  });
}(window.jQuery, window));
