-- Hosts a canvas's outbound Http calls may reach although they are loopback
-- or private (`HOST` or `HOST:PORT`), set through the editor API.
CREATE TABLE outbound_allowed (
    canvas TEXT NOT NULL REFERENCES canvases (name),
    host TEXT NOT NULL,
    PRIMARY KEY (canvas, host)
);
