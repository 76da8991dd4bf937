/*
 * The banner a logged-in user sees while their address is not confirmed, and its "Send
 * again" button for a new confirmation link. ``AuthBanner.offerResend($form, xhr)`` answers
 * an action that needs a confirmed address first (a second factor, a passkey): its message
 * in that form, with a button that sends the link as "Send again" does.
 */
(function ($, window) {
  'use strict';

  const api = window.AuthApi;
  const forms = window.AuthForms;
  const page = window.AuthPage;
  const session = window.AuthSession;

  window.AuthBanner = {
    offerResend: function ($refused, xhr) {
      forms.showAlert($refused, [api.failure(xhr).message]);
      $('<button type="button" class="btn btn-outline-dark btn-sm mt-2" data-resend-confirmation>')
        .text('Send a new confirmation link')
        .appendTo($refused.find('.form-alert'));
    }
  };

  $(function () {
    const $banner = $('#confirm-banner');
    const $form = $('#resend-form');

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

    // The banner's own form sends it, and says in its status region that the link is on its way.
    $(window.document).on('click', '[data-resend-confirmation]', function () {
      $form.trigger('submit');
    });

    forms.handle($form, api.resendConfirmation, function (body) {
      forms.showStatus($form, body.message);
    }, function (xhr) {
      // Confirmed meanwhile (in another tab): ask again, and the banner goes.
      if (xhr.status === 409) {
        const message = api.failure(xhr).message;
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
