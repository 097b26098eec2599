// The checks of card-render.sh, run in the page after Microsoft's Adaptive
// Cards renderer (window.AdaptiveCards, with window.markdownit) and the data (window.CARD, the
// message teams-card writes; window.HOST_CONFIG, Teams' light host config;
// window.CARD_WIDTH, the width to draw at) are loaded. It draws the card as
// Teams' web client does (same library, same host config), highlights the
// mentions as Teams does, and writes what it found, base64-encoded JSON, into
// <pre id="result">; card-render.sh decodes it and judges.
"use strict";

function problem(list, text) {
	if (list.indexOf(text) < 0)
		list.push(text);
}

// The words the library uses for its validation events.
function eventName(e) {
	var n = AdaptiveCards.ValidationEvent && AdaptiveCards.ValidationEvent[e.event];
	return (n || String(e.event)) + ": " + e.message;
}

// Every string of the card a reader sees, with where it is: TextBlocks'
// text, facts' titles and values, actions' titles.
function strings(node, path, out) {
	if (Array.isArray(node)) {
		node.forEach(function (v, i) { strings(v, path + "[" + i + "]", out); });
	} else if (node && typeof node === "object") {
		Object.keys(node).forEach(function (k) {
			var v = node[k];
			if (typeof v === "string" && (k === "text" || k === "title" || k === "value") && path.indexOf(".msteams") < 0)
				out.push({ path: path + "." + k, text: v });
			else
				strings(v, path + "." + k, out);
		});
	}
	return out;
}

// Mentions as Teams pairs them: each <at>NAME</at> in the card's text needs
// an msteams.entities mention whose text is that tag and whose mentioned
// name is NAME (with an id); each entity needs its tag in the text.
function checkMentions(content, problems) {
	var ms = content.msteams, ents = (ms && ms.entities) || [], found = [];
	var texts = strings(content.body || [], "body", []);
	texts.forEach(function (s) {
		var re = /<at>(.*?)<\/at>/g, m;
		while ((m = re.exec(s.text)) !== null) {
			found.push({ path: s.path, tag: m[0], name: m[1] });
			var e = ents.filter(function (x) { return x.type === "mention" && x.text === m[0]; });
			if (!e.length)
				problem(problems, "mention " + m[0] + " in " + s.path + " has no msteams.entities mention");
			else if (!e[0].mentioned || e[0].mentioned.name !== m[1] || !e[0].mentioned.id)
				problem(problems, "mention " + m[0] + ": its entity's mentioned name or id does not match");
		}
	});
	ents.forEach(function (x, i) {
		if (x.type !== "mention")
			problem(problems, "msteams.entities[" + i + "] is not of type mention");
		else if (!found.some(function (f) { return f.tag === x.text; }))
			problem(problems, "msteams.entities[" + i + "] (" + x.text + ") is not in the card's text");
	});
	return found.map(function (f) {
		var e = ents.filter(function (x) { return x.text === f.tag; })[0];
		return { text: f.tag, id: e && e.mentioned ? e.mentioned.id : null };
	});
}

// Teams draws <at>NAME</at> as NAME, highlighted: do the same to the
// rendered text nodes, so the screenshot shows what a reader sees.
function drawMentions(root) {
	var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), nodes = [], n;
	while ((n = walk.nextNode()) !== null)
		if (n.nodeValue.indexOf("<at>") >= 0)
			nodes.push(n);
	nodes.forEach(function (t) {
		var parts = t.nodeValue.split(/(<at>.*?<\/at>)/), frag = document.createDocumentFragment();
		parts.forEach(function (p) {
			var m = /^<at>(.*)<\/at>$/.exec(p);
			if (m) {
				var s = document.createElement("span");
				s.className = "mention";
				s.textContent = m[1];
				frag.appendChild(s);
			} else if (p) {
				frag.appendChild(document.createTextNode(p));
			}
		});
		t.parentNode.replaceChild(frag, t);
	});
}

// What each TextBlock and Container the card declares a colour or style
// for is drawn in: the computed colour of the text, the background of the
// container, in the order of the card. Text that markdown changed (drawn
// otherwise than it is written: "a*b*c" in italics) is a problem.
function colours(card, problems) {
	var out = [];
	// what markdown text draws as when nothing in it is markup: itself,
	// less the backslashes of its escaped punctuation
	function drawnAs(node, text, what) {
		var d = node.textContent.replace(/\s+/g, " ").trim();
		var want = text.replace(/\\([!-\/:-@\[-`{-~])/g, "$1").replace(/\s+/g, " ").trim();
		if (d !== want)
			problem(problems, "markdown changes " + what + " " + JSON.stringify(text) + ": drawn as " + JSON.stringify(d));
	}
	function visit(el) {
		var t = el.getJsonTypeName(), node = el.renderedElement;
		if (t === "TextBlock" && node) {
			drawnAs(node, el.text, "the text");
			out.push({ type: t, text: el.text, color: el.color === undefined ? null : AdaptiveCards.TextColor[el.color],
				css: getComputedStyle(node).color });
		}
		if (t === "Container" && node)
			out.push({ type: t, style: el.style || null, css: getComputedStyle(node).backgroundColor });
		if (t === "FactSet" && node) {
			node.querySelectorAll("tr").forEach(function (tr, i) {
				var f = el.facts[i], title = tr.querySelector(".ac-fact-title"),
					value = tr.querySelector(".ac-fact-value");
				if (!f || !title || !value) {
					problem(problems, "a FactSet's row " + i + " is not drawn as a title and a value");
					return;
				}
				drawnAs(title, f.name, "the fact title");
				drawnAs(value, f.value, "the fact value");
			});
			out.push({ type: t, facts: el.facts.map(function (f) { return [f.name, f.value]; }) });
		}
		if (el.getItemCount)
			for (var i = 0; i < el.getItemCount(); i++)
				visit(el.getItemAt(i));
	}
	visit(card);
	return out;
}

// Elements drawn past the card's right edge, at the width it was given.
function overflow(root) {
	var r = root.getBoundingClientRect(), past = [];
	root.querySelectorAll("*").forEach(function (e) {
		var b = e.getBoundingClientRect();
		if (b.width > 0 && b.right > r.right + 0.5)
			past.push(e.tagName.toLowerCase() + (e.classList.length ? "." + e.classList[0] : "") + ": " +
				e.textContent.replace(/\s+/g, " ").trim().slice(0, 40));
	});
	return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, past: past.slice(0, 5) };
}

function check() {
	var problems = [], res = { problems: problems };
	var msg = window.CARD, content = msg;
	if (msg && msg.type === "message") {
		var a = (msg.attachments || [])[0];
		if (!a || a.contentType !== "application/vnd.microsoft.card.adaptive")
			problem(problems, "the message has no Adaptive Card attachment");
		content = a ? a.content : null;
	}
	if (!content || content.type !== "AdaptiveCard") {
		problem(problems, "no AdaptiveCard to render");
		return res;
	}
	res.version = content.version;
	var card = new AdaptiveCards.AdaptiveCard();
	card.hostConfig = new AdaptiveCards.HostConfig(window.HOST_CONFIG);
	// Teams takes cards up to 1.4 in a Workflows webhook's message
	// (teams-card(1)); elements of a later version are reported.
	var ctx = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
	card.parse(content, ctx);
	for (var i = 0; i < ctx.eventCount; i++)
		problem(problems, "parse: " + eventName(ctx.getEventAt(i)));
	card.validateProperties().validationEvents.forEach(function (e) {
		problem(problems, "validation: " + eventName(e));
	});
	res.mentions = checkMentions(content, problems);
	var host = document.getElementById("card");
	host.style.width = window.CARD_WIDTH + "px";
	var root = card.render();
	if (!root) {
		problem(problems, "the renderer drew nothing");
		return res;
	}
	host.appendChild(root);
	res.drawn = colours(card, problems);
	drawMentions(root);
	res.overflow = overflow(root);
	if (res.overflow.scrollWidth > res.overflow.clientWidth)
		problem(problems, "at " + window.CARD_WIDTH + " px the card is " + res.overflow.scrollWidth + " px wide");
	res.overflow.past.forEach(function (p) {
		problem(problems, "at " + window.CARD_WIDTH + " px drawn past the card's edge: " + p);
	});
	res.height = Math.ceil(document.documentElement.getBoundingClientRect().height);
	return res;
}

window.addEventListener("load", function () {
	var res;
	try {
		res = check();
	} catch (e) {
		res = { problems: [] };
		problem(res.problems, "exception: " + e);
	}
	var json = JSON.stringify(res);
	var bytes = new TextEncoder().encode(json), bin = "";
	bytes.forEach(function (b) { bin += String.fromCharCode(b); });
	document.getElementById("result").textContent = btoa(bin);
});
