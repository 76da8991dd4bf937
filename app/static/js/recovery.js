/*
 * A forgotten password: /forgot asks for a link by mail, and /reset#token=… (the link)
 * sets the new password, then shows the login form.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const page = window.AuthPage;
  const session = window.AuthSession;

  $(function () {
    const $forgotForm = $('#forgot-form');
    const $resetForm = $('#reset-form');
    const $noLink = $('#reset-no-link');
    const $askAgain = $('#reset-ask-again');
    // In memory only: never in storage, and out of the address bar once read.
    let token = null;

    page.route('/forgot', function (how) {
      forms.clearErrors($forgotForm);
      page.show('forgot', how.navigated ? $('#forgot-title') : null);
    });

    forms.handle($forgotForm, api.requestReset, function (body) {
      forms.showStatus($forgotForm, body.message);
    });

    function showReset(how) {
      $resetForm.trigger('reset').prop('hidden', !token);
      forms.clearErrors($resetForm);
      $noLink.prop('hidden', Boolean(token));
      $askAgain.prop('hidden', Boolean(token));
      page.show('reset', how.navigated ? $('#reset-title') : null);
    }

    page.route('/reset', function (how) {
      token = page.takeToken() || token;
      showReset(how);
    });

    forms.handle($resetForm, function (fields) {
      return api.resetPassword($.extend({ token: token }, fields));
    }, function (body) {
      token = null;
      $resetForm.trigger('reset');
      // Every session of the account has ended: this browser is logged out.
      page.replace('/');
      session.showLoggedOut(true);
      page.notify(body.message);
    }, function (xhr) {
      if (api.isRefusedLink(xhr)) {
        $askAgain.prop('hidden', false);
      }
      return false;
    });
  });
}(window.jQuery, window));
