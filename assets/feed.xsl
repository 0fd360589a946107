<?xml version="1.0" encoding="utf-8"?>
<!-- wirebridge: how an RSS or Atom feed looks when opened in a browser.
     Feed readers ignore this; people see the title, how to subscribe, and
     each entry with its language and its other language versions.
     Right-to-left languages are laid out right to left. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="utf-8" indent="yes"/>

  <xsl:template name="dir">
    <xsl:param name="lang"/>
    <xsl:variable name="p" select="substring-before(concat(translate($lang, '_', '-'), '-'), '-')"/>
    <xsl:choose>
      <xsl:when test="$p = 'ar' or $p = 'he' or $p = 'fa' or $p = 'ur' or $p = 'ps' or $p = 'yi' or $p = 'ckb' or $p = 'dv' or $p = 'sd'">rtl</xsl:when>
      <xsl:otherwise>ltr</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/">
    <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/></title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
          .note { background: #f3f1e8; padding: .75rem 1rem; border-radius: 6px; }
          article { border-top: 1px solid #ddd; padding: 1rem 0; }
          .meta, .langs { color: #555; font-size: .9rem; }
          .lang { font-weight: 600; text-transform: uppercase; font-size: .8rem; }
          [dir="rtl"] { text-align: right; }
        </style>
      </head>
      <body>
        <h1 id="feed-title"><xsl:value-of select="$title"/></h1>
        <p class="note">This is a web feed. Copy this page's address into your feed reader to subscribe.</p>
        <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <xsl:variable name="lang" select="@xml:lang"/>
    <article class="entry" lang="{$lang}">
      <xsl:attribute name="dir"><xsl:call-template name="dir"><xsl:with-param name="lang" select="$lang"/></xsl:call-template></xsl:attribute>
      <h2><a href="{atom:link[@rel='alternate'][@hreflang=$lang]/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <p class="meta"><span class="lang"><xsl:value-of select="$lang"/></span> · <xsl:value-of select="atom:author/atom:name"/> · <xsl:value-of select="substring(atom:published, 1, 10)"/></p>
      <xsl:if test="atom:link[@rel='alternate'][@hreflang != $lang]">
        <p class="langs" dir="ltr">Also in:
          <xsl:for-each select="atom:link[@rel='alternate'][@hreflang != $lang]">
            <xsl:text> </xsl:text><a href="{@href}" hreflang="{@hreflang}"><xsl:value-of select="@hreflang"/></a>
          </xsl:for-each>
        </p>
      </xsl:if>
    </article>
  </xsl:template>

  <xsl:template match="item">
    <xsl:variable name="lang" select="dc:language"/>
    <article class="entry" lang="{$lang}">
      <xsl:attribute name="dir"><xsl:call-template name="dir"><xsl:with-param name="lang" select="$lang"/></xsl:call-template></xsl:attribute>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <p class="meta"><span class="lang"><xsl:value-of select="$lang"/></span> · <xsl:value-of select="dc:creator"/> · <xsl:value-of select="pubDate"/></p>
      <xsl:if test="atom:link[@rel='alternate']">
        <p class="langs" dir="ltr">Also in:
          <xsl:for-each select="atom:link[@rel='alternate']">
            <xsl:text> </xsl:text><a href="{@href}" hreflang="{@hreflang}"><xsl:value-of select="@hreflang"/></a>
          </xsl:for-each>
        </p>
      </xsl:if>
    </article>
  </xsl:template>
</xsl:stylesheet>
