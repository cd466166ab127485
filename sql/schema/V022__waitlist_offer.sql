-- A freed slot offered to a waiting patient until expires_at; accepting it
-- (waitlist_accept) books it. open_slot is the slot while the offer is Open and NULL
-- otherwise, so by key one freed slot (doctor, start, seat) is offered to one patient
-- at a time, and one entry holds at most one open offer (open_entry).
CREATE TABLE waitlist_offer (
    offer_id         INT UNSIGNED      NOT NULL AUTO_INCREMENT,
    waitlist_id      INT UNSIGNED      NOT NULL,
    doctor_id        INT UNSIGNED      NOT NULL,
    starts_at        DATETIME          NOT NULL,
    duration_minutes SMALLINT UNSIGNED NOT NULL,
    seat             TINYINT UNSIGNED  NOT NULL DEFAULT 0,
    offered_at       DATETIME          NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at       DATETIME          NOT NULL,
    status           ENUM('Open', 'Accepted', 'Expired', 'Declined', 'Lost') NOT NULL DEFAULT 'Open',
    appointment_id   INT UNSIGNED      NULL,
    open_slot        DATETIME AS (IF(status = 'Open', starts_at, NULL)) STORED,
    open_entry       INT UNSIGNED AS (IF(status = 'Open', waitlist_id, NULL)) STORED,
    PRIMARY KEY (offer_id),
    UNIQUE KEY uq_waitlist_offer_slot (doctor_id, open_slot, seat),
    UNIQUE KEY uq_waitlist_offer_entry (open_entry),
    KEY idx_waitlist_offer_entry (waitlist_id),
    CONSTRAINT fk_waitlist_offer_entry FOREIGN KEY (waitlist_id) REFERENCES waitlist_entry (waitlist_id),
    CONSTRAINT fk_waitlist_offer_doctor FOREIGN KEY (doctor_id) REFERENCES doctor (doctor_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
