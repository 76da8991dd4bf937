/*
 * Passkeys at the door: the "Sign in with a passkey" button of the login form (a
 * discoverable credential, no user named, no password), and the passkey as the second step
 * of a password login. Both are shown only where the browser supports WebAuthn.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  const mfaLogin = window.AuthMfaLogin;

  $(function () {
    const $loginForm = $('#passkey-login-form');
    const $mfaForm = $('#mfa-passkey-form');
    const signIn = api.ceremony(api.beginPasskeyLogin, api.finishPasskeyLogin, false);
    const secondStep = api.ceremony(api.beginMfaPasskey, api.finishMfaPasskey, false);

    $loginForm.prop('hidden', !api.supportsPasskeys());

    // The login form's "Remember me" holds for a passkey too.
    forms.handle($loginForm, function () {
      return signIn({ remember_me: $('#login-remember-me').prop('checked') });
    }, function (body) {
      session.afterLogin(body.data);
    });

    forms.handle($mfaForm, function () {
      return secondStep();
    }, function (body) {
      session.afterLogin(body.data);
    }, function (xhr) {
      // The wait ended (timed out, too many tries): from the password again. A passkey the
      // server refused keeps the step, its message in this form's alert.
      if (api.endsSecondStep(xhr)) {
        mfaLogin.loginAgain(api.failure(xhr).message);
        return true;
      }
      return false;
    });

    $(window.document).on('page:show', function () {
      forms.clearErrors($loginForm);
      forms.clearErrors($mfaForm);
    });
  });
}(window.jQuery, window));
