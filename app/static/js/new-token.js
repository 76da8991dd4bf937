/*
 * A personal access token just made, shown once: the token, a copy button, and "Done", which
 * takes it off the page, as leaving the account view does.
 */
(function ($, window) {
  'use strict';

  // The panel, the token's slot and the copy's status line, found once the document is ready.
  let $panel = null;
  let $value = null;
  let $status = null;
  // The token on show, and its id; in no element and no variable once put away.
  let token = null;
  let tokenId = null;

  function show(data) {
    token = data.token;
    tokenId = data.id;
    $value.text(token);
    $status.empty();
    $panel.prop('hidden', false);
    $('#token-new-title').trigger('focus');
  }

  function hide() {
    token = null;
    tokenId = null;
    $value.empty();
    $status.empty();
    $panel.prop('hidden', true);
  }

  window.AuthNewToken = {
    show: show,
    hide: hide,
    // Whether the token on show is the one of ``id`` (revoked, it goes too).
    isShown: function (id) { return tokenId !== null && tokenId === id; }
  };

  $(function () {
    $panel = $('#token-new');
    $value = $('#token-new-value');
    $status = $('#token-new-status');

    $('#token-new-copy').on('click', function () {
      const clipboard = window.navigator.clipboard;
      $status.empty();
      if (!clipboard || !clipboard.writeText) {
        $status.text('This browser cannot copy here: select the token and copy it.');
        return;
      }
      clipboard.writeText(token).then(function () {
        $status.text('Copied');
      }, function () {
        $status.text('The token could not be copied: select it and copy it.');
      });
    });

    $('#token-new-done').on('click', function () {
      hide();
      $('#tokens-title').trigger('focus');
    });

    $(window.document).on('page:show', hide);
  });
}(window.jQuery, window));
