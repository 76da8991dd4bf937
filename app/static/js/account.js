/*
 * The account view beside the welcome: a new password, and a new email address. Each goes
 * through the password prompt when the server wants the password again.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const session = window.AuthSession;
  const reauth = window.AuthReauth;

  $(function () {
    const $passwordForm = $('#password-form');
    const $emailForm = $('#email-form');

    // What each form does with a refusal of its own: the session gone, or the password
    // checked and wrong (shown under ``passwordField``).
    function refusals($form, passwordField) {
      return function (xhr) {
        if (xhr.status === 401) {
          session.showLoggedOut(true);
          return true;
        }
        if (xhr.status === 403 && !api.needsReauthentication(xhr) && !api.isCsrfFailure(xhr)) {
          const failure = api.failure(xhr);
          const fields = {};
          fields[passwordField] = [failure.message];
          forms.showErrors($form, { message: failure.message, fields: fields });
          return true;
        }
        return false;
      };
    }

    forms.handle($passwordForm, reauth.guard(api.changePassword), function (body) {
      $passwordForm.trigger('reset');
      forms.showStatus($passwordForm, body.message);
      // Every other session has ended.
      $(window.document).trigger('account:sessions-changed');
    }, refusals($passwordForm, 'current_password'));

    forms.handle($emailForm, reauth.guard(api.changeEmail), function (body) {
      $emailForm.trigger('reset');
      forms.showStatus($emailForm, body.message);
    }, refusals($emailForm, 'password'));

    // A fresh start each time the view opens or closes: no password lingers in the page.
    $(window.document).on('page:show', function () {
      $.each([$passwordForm, $emailForm], function (_, $form) {
        $form.trigger('reset');
        forms.clearErrors($form);
      });
    });
  });
}(window.jQuery, window));
