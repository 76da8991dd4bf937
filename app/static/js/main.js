/*
 * Start the page once every module has said which paths it shows: the view of this path.
 */
(function ($, window) {
  'use strict';

  $(function () {
    window.AuthPage.start();
  });
}(window.jQuery, window));
