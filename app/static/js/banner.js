/*
 * The banner a logged-in user sees while their address is not confirmed, and its "Send
 * again" button for a new confirmation link.
 */
(function ($, window) {
  'use strict';

  var api = window.AuthApi;
  var forms = window.AuthForms;
  var page = window.AuthPage;

  $(function () {
    var $banner = $('#confirm-banner');
    var $form = $('#resend-form');

    function hide() {
      $banner.prop('hidden', true);
      $banner.find('[data-user]').empty();
      forms.clearErrors($form);
    }

    $(window.document).on('auth:user', function (_, user) {
      if (!user || user.email_confirmed) {
        hide();
        return;
      }
      $banner.find('[data-user=email]').text(user.email || '');
      $banner.prop('hidden', false);
    });

    $(window.document).on('page:show', function (_, name) {
      if (name !== 'logged-in') {
        hide();
      }
    });

    forms.handle($form, api.resendConfirmation, function (body) {
      forms.showStatus($form, body.message);
    }, function (xhr) {
      var session = window.AuthSession;
      // Confirmed meanwhile (in another tab): ask again, and the banner goes.
      if (xhr.status === 409) {
        var message = api.failure(xhr).message;
        session.refresh(false).always(function () { page.notify(message); });
        return true;
      }
      // Logged out elsewhere, or the session expired.
      if (xhr.status === 401) {
        session.showLoggedOut(true);
        return true;
      }
      return false;
    });
  });
}(window.jQuery, window));
