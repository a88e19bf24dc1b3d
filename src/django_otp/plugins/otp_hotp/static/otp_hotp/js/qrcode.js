// When the QR code image cannot be loaded (no QR code library on the server), hide it and
// show the advice next to it instead.
(function () {
    "use strict";

    function showAdvice() {
        document.getElementById("qrcode").classList.add("qrcode-hidden");
        document.getElementById("no-qrcode").classList.remove("qrcode-hidden");
    }

    function watchImage() {
        var image = document.querySelector("#qrcode img");
        if (!image) {
            return;
        }
        if (image.complete && image.naturalWidth === 0) {
            showAdvice();
        } else {
            image.addEventListener("error", showAdvice);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", watchImage);
    } else {
        watchImage();
    }
})();
